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
export type {
  BreakerWindow,
  CircuitBreakerCleared,
  CircuitBreakerResumed,
  CircuitBreakerTriggered,
  MarketFeesChanged,
  MarketForceSettled,
  MarketParamsChanged,
  MarketStatusChanged,
} from "./perp/perp-events.ts";
export type {
  ForceSettleCommand,
  MarketParamsChange,
  SetMarketFeesCommand,
  SetMarketParamsCommand,
  SetMarketStatusCommand,
  TripCircuitBreakerCommand,
} from "./perp/perp-commands.ts";
export {
  CircuitBreakers,
  breaches,
  noAutomaticBreaker,
  prdCircuitBreaker,
  type BreakerStatus,
  type CircuitBreakerParams,
} from "./perp/circuit-breakers.ts";
export { MarketAdmin, type MarketAdminCommand, type MarketStatus } from "./perp/market-admin.ts";
export { addedExposureLots, noRiskLimits, prdRiskLimits, type RiskLimits } from "./perp/risk-limits.ts";
export type { BookEvent } from "./events.ts";
export type { AccountStatus } from "./accounts.ts";
export { assetClassLeverageMax, marginProfilePrd, marginProfileSpec, type AssetClass } from "./perp/margin-tiers.ts";
export { accountView, type AccountView, type HealthLevel, type PositionView } from "./perp/account-view.ts";
export { liquidationPrice, isolatedLiquidationPrice } from "./perp/liquidation-price.ts";
export {
  Liquidations,
  fullCloseNotionalMax,
  liquidatorPenaltyPpm,
  penaltyPpm,
  type LiquidationParameters,
} from "./perp/liquidation.ts";
export { LiquidationHeap, LiquidationIndex } from "./perp/liquidation-index.ts";
export { adlQuantile, adlQueue, adlScore, bankruptcyPrice } from "./perp/adl.ts";
export { crossEquityOf, type InsuranceFundSource } from "./perp/insurance-fund.ts";
export type {
  LiquidateCommand,
  LiquidationConfigCommand,
  LiquidatorWhitelistCommand,
  SeedInsuranceFundCommand,
} from "./perp/perp-commands.ts";
export type {
  ADLExecuted,
  InsuranceFundDeposited,
  LiquidationConfigChanged,
  LiquidationTriggered,
  LiquidatorWhitelistChanged,
  PositionLiquidated,
} from "./perp/perp-events.ts";
export { aggregateOracle, integerSquareRoot, recencyPpm, type AggregateParameters, type OracleAggregate, type OracleQuote } from "./perp/oracle-aggregator.ts";
export {
  checkOracleConfig,
  oracleConfigDefault,
  OracleSource,
  type ConfigureOracleCommand,
  type OracleCommand,
  type OracleConfig,
  type OraclePriceCommand,
  type RegisterOracleSourceCommand,
  type SetOracleSourceCommand,
} from "./perp/oracle-sources.ts";
export { Oracles, OracleSubject, checkOracleInvariants, oracleView, oracleSourcesMax, oracleSourcesPerSubjectMax } from "./perp/oracle-monitor.ts";
export type {
  OracleSourceRegistered,
  OracleSourceStatusChanged,
  OracleConfigured,
  OracleAggregated,
  OracleHealthChanged,
  OracleFailover,
  MarketSessionChanged,
  MarketSessionConfigured,
  MarketReopened,
  CorporateActionScheduled,
  CorporateActionCanceled,
  CorporateActionFailed,
  CorporateActionExecuted,
  DividendPaid,
  OracleEvent,
  OrderRescaled,
} from "./perp/oracle-events.ts";
export { nyseSessionAt, nyseSessionsBetween, type SessionPosition } from "./perp/nyse-calendar.ts";
export { nyseCalendarYears, nyseSessionTable } from "./perp/nyse-calendar-data.ts";
export { Sessions, sessionDefaults, type MarketSessionCommand } from "./perp/sessions.ts";
export {
  CorporateActions,
  corporateActionSchedule,
  corporateActionsPendingMax,
  type CancelCorporateActionCommand,
  type CorporateAction,
  type CorporateActionCommand,
  type ScheduleDividendCommand,
  type ScheduleSplitCommand,
} from "./perp/corporate-actions.ts";
export {
  AgentRegistry,
  agentMarketsMax,
  agentsPerAccountMax,
  type AgentApproval,
  type AgentApproved,
  type AgentCommand,
  type AgentEvent,
  type AgentRevoked,
  type ApproveAgentCommand,
  type RevokeAgentCommand,
} from "./perp/agents.ts";
