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
export { Exchange, Treasury, type ExchangeCommand } from "./exchange.ts";
export type { Fill, IncomingOrder, MatchingObserver } from "./engine.ts";
export { checkExchangeInvariants } from "./perp/perp-invariants.ts";
export { exchangeStateHash, restoreExchange, writeExchangeState } from "./perp/perp-state.ts";
export {
  collateralValue,
  formatQuote,
  freeCollateral,
  markNotional,
  orderMargin,
  positionMaintenance,
  unrealizedPnl,
  withdrawable,
} from "./perp/account-risk.ts";
export { collateralAssets, collateralParameters, type CollateralAsset } from "./perp/collateral.ts";
export { PerpMarket, marginProfiles, type MarginProfileName, type PerpMarketSpec } from "./perp/perp-market.ts";
export { Position, type MarginMode } from "./perp/position.ts";
export type {
  AccountStatusCommand,
  AdjustMarginCommand,
  CollateralPriceCommand,
  DepositCommand,
  FeeOverrideCommand,
  IndexPriceCommand,
  PerpCommand,
  SetLeverageCommand,
  SetMarginModeCommand,
  WithdrawCommand,
} from "./perp/perp-commands.ts";
export type { PerpEvent } from "./perp/perp-events.ts";
export type { BookEvent } from "./events.ts";
export type { AccountStatus } from "./accounts.ts";
export { assetClassLeverageMax, marginProfilePrd, marginProfileSpec, type AssetClass } from "./perp/margin-tiers.ts";
export { accountView, type AccountView, type HealthLevel, type PositionView } from "./perp/account-view.ts";
export { liquidationPrice, isolatedLiquidationPrice } from "./perp/liquidation-price.ts";
