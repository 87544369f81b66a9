// Asserts guard what cannot happen. A failed assert is a bug: it throws, the node stops and replays.
// Business rejections never throw; they are returned as values (see rejections.ts).

export class AssertionFailed extends Error {
  override readonly name = "AssertionFailed";
}

export function assert(condition: boolean, message = "assertion failed"): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function unreachable(value: never): never {
  throw new AssertionFailed(`unreachable: ${String(value)}`);
}
