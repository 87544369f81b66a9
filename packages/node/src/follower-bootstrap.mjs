// Worker threads do not inherit tsx's TypeScript loader in Node 20 (privatenumber/tsx#354): the
// follower's entry is this plain module, which registers the loader and then imports the TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./follower-worker.ts");
