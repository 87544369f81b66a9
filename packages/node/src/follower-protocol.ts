// Messages between the node and its follower thread.

/** What the follower needs to start. */
export interface FollowerStart {
  readonly snapshotsDirectory: string;
  /** The snapshot the node recovered from (the follower loads it too), or null to start at genesis. */
  readonly snapshotFile: string | null;
  readonly snapshotEvery: number;
  readonly snapshotIntervalMs: number;
  readonly snapshotsKept: number;
}

export type ToFollower =
  | { readonly type: "frames"; readonly frames: Uint8Array }
  /** Write a snapshot if the state moved since the last one, then stop. */
  | { readonly type: "stop"; readonly finalSnapshot: boolean };

export type FromFollower =
  | { readonly type: "ready"; readonly sequence: number; readonly milliseconds: number }
  /** A frames message was applied; `bytes` is its size, so the node can bound what is still queued. */
  | { readonly type: "applied"; readonly bytes: number }
  | {
      readonly type: "snapshot";
      readonly sequence: number;
      readonly file: string;
      readonly fileBytes: number;
      readonly stateHash: string;
      readonly milliseconds: number;
      readonly removed: readonly string[];
    }
  | { readonly type: "divergence"; readonly sequence: number; readonly expected: string; readonly actual: string }
  /** The state hash after command `sequence`, which has a checkpoint-due record: the node journals it. */
  | { readonly type: "checkpointHash"; readonly sequence: number; readonly stateHash: Uint8Array }
  | { readonly type: "log"; readonly level: "info" | "warn" | "error"; readonly object: Record<string, unknown>; readonly message: string }
  | { readonly type: "stopped"; readonly sequence: number };
