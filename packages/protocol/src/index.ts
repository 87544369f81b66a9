/**
 * @perpdex/protocol — the wire layer: decimal-string codecs, deterministic identifiers and stable
 * rejection codes. No I/O, no clock, no randomness. Every export is named here explicitly (no
 * `export *`) so that the public surface is exactly this list; each is documented, with an
 * `@example`, where it is declared.
 */
export {
  decimalDigitsMax,
  decimalToLots,
  decimalToTicks,
  formatUnits,
  lotsToDecimal,
  parseDecimal,
  parseUnits,
  priceTicksMax,
  sizeLotsMax,
  ticksToDecimal,
} from "./decimal.ts";
export type {
  DecimalToLotsParameters,
  DecimalToLotsResult,
  DecimalToTicksParameters,
  DecimalToTicksResult,
  LotsToDecimalParameters,
  ParseDecimalOptions,
  ParseDecimalResult,
  ParsedDecimal,
  ParseUnitsResult,
  TicksToDecimalParameters,
} from "./decimal.ts";
export {
  decimalRejectionCodes,
  idRejectionCodes,
  priceRejectionCodes,
  reject,
  rejectionCodes,
  sizeRejectionCodes,
} from "./errors.ts";
export type {
  DecimalRejectionCode,
  IdRejectionCode,
  PriceRejectionCode,
  Rejection,
  RejectionCode,
  RejectionDetails,
  SizeRejectionCode,
} from "./errors.ts";
export { idIndexMax, idKinds, idSequenceMax, idTimeMsMax, parseUuidV7, uuidV7 } from "./ids.ts";
export type { IdKind, ParsedUuidV7, ParseUuidV7Options, ParseUuidV7Result, UuidV7Parameters } from "./ids.ts";
export {
  batchItemsWireMax,
  canonicalCommand,
  CommandCodecError,
  decodeCommand,
  decodeCommandJson,
  encodeCommand,
  encodeCommandJson,
} from "./command-codec.ts";
export type { ExchangeCommandInput, GenesisCommandInput, LogCommandInput } from "./command-codec.ts";
export { decodeCommandBinary, encodeCommandBinary, writeCommandBinary } from "./command-binary.ts";
export type { CommandBinaryWritten } from "./command-binary.ts";
export { actionMessage, actionTypedData, actionTypes, perpdexDomain } from "./signing.ts";
export type {
  ActionFields,
  ActionType,
  ActionTypedData,
  ActionTypedDataParameters,
  CancelRequest,
  OrderRequest,
  TypedDataDomain,
  TypedDataField,
} from "./signing.ts";
export {
  actionRequestSchemas,
  cancelRequestSchema,
  errorBodySchema,
  faucetRequestSchema,
  orderRequestSchema,
  signedRequestFields,
} from "./api-schemas.ts";
export type { AccountSummaryView, FillView, OrderView, PositionView } from "./api-views.ts";
export { bookChecksum, bookChecksumLevels, bookChecksumText, crc32Ascii } from "./book-checksum.ts";
export type { BookLevel } from "./book-checksum.ts";
export {
  isWsCandleInterval,
  wsCandleIntervals,
  wsErrorCodes,
  wsLimitsDefault,
  wsMarginLevelOf,
  wsMarginLevels,
  wsPrivateChannels,
  wsPublicChannels,
  wsSubscriptionKey,
} from "./ws-messages.ts";
export type {
  WsBookMessage,
  WsCandle,
  WsCandleInterval,
  WsChannel,
  WsClientMessage,
  WsErrorCode,
  WsLimits,
  WsMarginLevel,
  WsServerMessage,
  WsSubscription,
  WsTicker,
  WsTrade,
} from "./ws-messages.ts";
