// @perpdex/core: the deterministic exchange state machine. Explicit exports only.
export { Engine, defaultLimits, orderIdsPerCommand, type EngineLimits } from "./engine.ts";
export { AssertionFailed, assert } from "./assert.ts";
export { checkInvariants } from "./invariants.ts";
export { stateFormatVersion, stateHash, writeState } from "./state-hash.ts";
export { restoreState } from "./state-restore.ts";
export { Sha256, toHex } from "./sha256.ts";
export { CanonicalWriter, type ChunkSink } from "./canonical-writer.ts";
export { isAddress } from "./accounts.ts";
export { divideCeil, divideFloor } from "./arithmetic.ts";
export {
  accepted,
  reject,
  rejectCodes,
  type Accepted,
  type BatchResult,
  type CommandResult,
  type RejectCode,
  type Rejection,
} from "./rejections.ts";
export type {
  BatchCommand,
  BatchItem,
  CancelAllCommand,
  CancelOrderCommand,
  CancelReplaceCommand,
  Command,
  CommandInput,
  CreateMarketCommand,
  MarketSpec,
  OrderRef,
  OrderSpec,
  OrderType,
  PlaceOrderCommand,
  ReduceOrderCommand,
  SelfTradePrevention,
  Side,
  TickCommand,
  TimeInForce,
  Unstamped,
} from "./commands.ts";
export type {
  CancelReason,
  ExchangeEvent,
  MarketCreated,
  OrderAccepted,
  OrderCanceled,
  OrderExpired,
  OrderFilled,
  OrderPartiallyFilled,
  OrderReduced,
  OrderRejected,
  TradeExecuted,
} from "./events.ts";
export {
  int32Max,
  ppmOne,
  sequenceMax,
  type PriceTicks,
  type RatePpm,
  type Sequence,
  type SizeLots,
  type TimeNs,
} from "./units.ts";
