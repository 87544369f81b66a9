// Asserts guard what cannot happen. A failed assert is a bug: it throws, the node stops and replays.
// Business rejections never throw; they are returned as values (see rejections.ts).

export class AssertionFailed extends Error {
  override readonly name = "AssertionFailed";
}

// The body is a test and a call, a dozen bytes of bytecode: the optimizer inlines a function by its
// bytecode size against a budget per compiled function, and hot functions hold dozens of asserts. With
// the throw (and the default message) in line, each assert cost about three times as much of that
// budget, and the calls it crowded out stayed calls.
export function assert(condition: boolean, message?: string): asserts condition {
  if (!condition) assertionFailed(message);
}

function assertionFailed(message = "assertion failed"): never {
  throw new AssertionFailed(message);
}

export function unreachable(value: never): never {
  throw new AssertionFailed(`unreachable: ${String(value)}`);
}
