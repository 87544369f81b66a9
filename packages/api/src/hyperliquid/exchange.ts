// POST /exchange: Hyperliquid's signed actions, verified over the body exactly as received, then sent to
// the node as ordinary perpdex commands for the signer's account (or, for an approved agent key, its
// principal's). The body itself (signature included) is the command's journaled auth envelope.
//
// Supported: order (Gtc, Ioc, Alo; reduce-only; cloid; several orders as one batch command), cancel,
// cancelByCloid, modify and batchModify (cancel-replace), updateLeverage (margin mode + leverage),
// updateIsolatedMargin, withdraw3 (to the signing wallet), approveAgent (an API wallet becomes a perpdex
// agent key: agents.ts), and approveBuilderFee / setReferrer as accepted no-ops (perpdex has neither
// builder fees nor referrals; ccxt sends both before its first order).
import type { Exchange } from "@perpdex/core";
import { batchItemsWireMax, parseUnits } from "@perpdex/protocol";
import { NonceRegistry } from "../auth/nonces.ts";
import { agentTerms } from "./agents.ts";
import type { HyperliquidEnvironment } from "./environment.ts";
import { HyperliquidError, unknownUserMessage } from "./errors.ts";
import { assetByIndex } from "./mapping.ts";
import { cancelStatuses, modifyStatuses, orderStatuses, type CancelTarget } from "./order-results.ts";
import { envelopeOf, parseRequestText, signatureHex, signedTypedData } from "./request.ts";
import { isUserSignedAction } from "./signing.ts";
import { plainOf } from "./wire-json.ts";

/** A verified request: who acts (an agent key for its account, or the account's wallet), and the action's fields as plain values. */
interface Verified {
  readonly type: string;
  readonly account: string;
  readonly agent: string | null;
  readonly action: Readonly<Record<string, unknown>>;
  readonly nonce: number;
  readonly auth: Uint8Array;
}

/** What the endpoint answers: Hyperliquid's body and the HTTP status to send it with. */
export interface HyperliquidReply {
  readonly statusCode: number;
  readonly body: unknown;
}

const ok = (response: unknown): HyperliquidReply => ({ statusCode: 200, body: { status: "ok", response } });
const defaultResponse = (): HyperliquidReply => ok({ type: "default" });

/**
 * The handler state of /exchange: the environment and the used nonces of Hyperliquid signers (their
 * own registry: a nonce signs one Hyperliquid action, independently of perpdex-native requests).
 *
 * @example
 * const endpoint = new HyperliquidExchangeEndpoint(environment, { nonceWindowMs: 60_000 });
 * const reply = await endpoint.handle(rawBody);
 */
export class HyperliquidExchangeEndpoint {
  private readonly nonces: NonceRegistry;

  constructor(
    private readonly environment: HyperliquidEnvironment,
    options: { readonly nonceWindowMs: number },
  ) {
    this.nonces = new NonceRegistry({ windowMs: options.nonceWindowMs, nowMs: environment.clock() });
  }

  /**
   * Verifies and executes one /exchange body. A client's fault is answered "err" (never thrown); the
   * server's own refusals (rate limit, node busy) are thrown as they come from `charge` and `submit`.
   * `charge` runs once the signer is known, before anything is submitted (per-account rate limits).
   */
  async handle(text: string, charge?: (account: string, actionType: string) => Promise<void>): Promise<HyperliquidReply> {
    try {
      const verified = await this.verify(text);
      await charge?.(verified.account, verified.type);
      return await this.execute(verified);
    } catch (error) {
      if (error instanceof HyperliquidError) return { statusCode: 200, body: { status: "err", response: error.message, code: error.code } };
      throw error;
    }
  }

  private async verify(text: string): Promise<Verified> {
    const request = parseRequestText(text);
    const now = this.environment.clock();
    if (request.vaultAddress !== undefined) throw new HyperliquidError("Vaults and sub-accounts do not exist on perpdex: send the request without vaultAddress");
    if (request.expiresAfter !== undefined && BigInt(now) > request.expiresAfter) {
      throw new HyperliquidError(`Action expired: expiresAfter ${request.expiresAfter} is before the server time ${now}`);
    }
    const typedData = signedTypedData(request, this.environment.chain);
    const nonce = Number(request.nonce);
    if (!Number.isSafeInteger(nonce) || !this.nonces.inWindow(nonce, now)) {
      const windowMs = this.nonces.windowMs;
      throw new HyperliquidError(`Invalid nonce: a nonce is the current time in milliseconds, within ${windowMs} ms of the server's clock (${now - windowMs} to ${now + windowMs}); got ${request.nonce}`, "NONCE_OUTSIDE_WINDOW");
    }
    const recovered = await this.environment.recover(typedData, signatureHex(request.signature));
    if (recovered.address === null) throw new HyperliquidError(`Invalid signature: ${recovered.error ?? "no key recovers from it"}`, "SIGNATURE_MALFORMED");
    if (!this.nonces.use(recovered.address, nonce, this.environment.clock())) {
      throw new HyperliquidError(`Nonce ${nonce} was already used by ${recovered.address}: an action is accepted once; sign it again with a new nonce`, "NONCE_REUSED");
    }
    const signer = recovered.address;
    const common = { type: request.type, action: plainOf(request.action) as Record<string, unknown>, nonce, auth: envelopeOf(text, this.environment.chain) };
    if (this.environment.exchange().engine.accounts.find(signer) !== undefined) return { ...common, account: signer, agent: null };
    // Wallet-signed (user-signed) actions are never an agent's.
    const principal = isUserSignedAction(request.type) ? null : this.environment.principalOf(signer);
    if (principal !== null) return { ...common, account: principal, agent: signer };
    // As on Hyperliquid: the signer is whoever the signature recovers to, and an address that never
    // deposited (nor was approved as an API wallet) is unknown. The typed-data hash lets a client author
    // compare with what was signed.
    throw new HyperliquidError(`${unknownUserMessage(signer)} Signed EIP-712 hash: ${recovered.hash ?? "(none)"}`, "SIGNATURE_INVALID");
  }

  private async execute(request: Verified): Promise<HyperliquidReply> {
    const exchange = this.environment.exchange();
    const { action, account, agent } = request;
    if (agent !== null && !agentActionTypes.has(request.type)) {
      throw new HyperliquidError(`API wallet ${agent} may place, modify and cancel orders for ${account}; sign ${request.type} with the account's own key`, "AGENT_NOT_AUTHORIZED");
    }
    // Order commands name the agent that signed them: the core checks its approval and scope.
    const submit = (input: Parameters<HyperliquidEnvironment["submit"]>[0]) => this.environment.submit(agent === null ? input : ({ ...input, agent } as typeof input), request.auth);
    switch (request.type) {
      case "order":
        return ok({ type: "order", data: { statuses: await orderStatuses({ exchange, submit, account, orders: listOf(action.orders, "orders"), grouping: action.grouping }) } });
      case "cancel":
      case "cancelByCloid":
        return ok({ type: "cancel", data: { statuses: await cancelStatuses({ exchange, submit, account, targets: cancelTargets(exchange, request.type, listOf(action.cancels, "cancels")) }) } });
      case "batchModify":
        return ok({ type: "order", data: { statuses: await modifyStatuses({ exchange, submit, account, modifies: listOf(action.modifies, "modifies") }) } });
      case "modify": {
        const [status] = await modifyStatuses({ exchange, submit, account, modifies: [{ oid: action.oid, order: action.order }] });
        const error = (status as { error?: string } | undefined)?.error;
        if (error !== undefined) throw new HyperliquidError(error);
        return defaultResponse();
      }
      case "updateLeverage":
        return this.updateLeverage(exchange, submit, account, action);
      case "updateIsolatedMargin": {
        const asset = assetByIndex(exchange, action.asset);
        const amount = action.ntli;
        if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount === 0) {
          throw new HyperliquidError("ntli must be a non-zero integer of micro-USD (1 USD = 1000000): positive adds margin, negative removes it");
        }
        return defaultOrError(await submit({ type: "adjustMargin", account, market: asset.symbol, amount }), asset.asset);
      }
      case "withdraw3":
        return this.withdraw(submit, account, action);
      case "approveAgent":
        return this.approveAgent(submit, account, action);
      case "approveBuilderFee":
      case "setReferrer":
        return defaultResponse();
      default:
        throw new HyperliquidError(
          `Unsupported action type ${JSON.stringify(request.type)}: perpdex supports order, cancel, cancelByCloid, modify, batchModify, updateLeverage, updateIsolatedMargin, withdraw3, approveAgent, approveBuilderFee and setReferrer`,
        );
    }
  }

  private async updateLeverage(exchange: Exchange, submit: Submit, account: string, action: Readonly<Record<string, unknown>>): Promise<HyperliquidReply> {
    const asset = assetByIndex(exchange, action.asset);
    const leverage = action.leverage;
    const maximum = asset.market.spec.leverageMax;
    if (typeof leverage !== "number" || !Number.isInteger(leverage) || leverage < 1 || leverage > maximum) {
      throw new HyperliquidError(`leverage must be a whole number from 1 to ${maximum} for ${asset.coin}. asset=${asset.asset}`, "SETTING_INVALID");
    }
    if (typeof action.isCross !== "boolean") throw new HyperliquidError("isCross must be a boolean");
    const mode = action.isCross ? "cross" : "isolated";
    const holder = exchange.engine.accounts.find(account);
    const current = holder === undefined ? undefined : (exchange.position(holder, asset.asset)?.mode ?? holder.settings?.get(asset.asset)?.mode ?? "isolated");
    // Two commands: the mode (allowed only while flat with no orders), then the leverage.
    if (current !== mode) {
      const changed = await submit({ type: "setMarginMode", account, market: asset.symbol, mode });
      if (!changed.result.ok) return defaultOrError(changed, asset.asset);
    }
    return defaultOrError(await submit({ type: "setLeverage", account, market: asset.symbol, leverage }), asset.asset);
  }

  private async withdraw(submit: Submit, account: string, action: Readonly<Record<string, unknown>>): Promise<HyperliquidReply> {
    if (typeof action.destination !== "string" || action.destination.toLowerCase() !== account) {
      throw new HyperliquidError(`perpdex's vault releases collateral to the owner's wallet only: destination must be ${account}`);
    }
    const amount = parseUnits(action.amount, 6, { field: "amount" });
    if (!amount.ok) throw new HyperliquidError(`Invalid withdrawal amount: ${amount.message}`, amount.code);
    return defaultOrError(await submit({ type: "withdraw", account, asset: "USDC", amount: amount.units }));
  }

  // A Hyperliquid API wallet becomes a perpdex agent key of the signing account: every market, no
  // order-size cap, expiring at the name's "valid_until <ms>" or after 180 days.
  private async approveAgent(submit: Submit, account: string, action: Readonly<Record<string, unknown>>): Promise<HyperliquidReply> {
    const { name, expiresAtMs } = agentTerms({ agentName: action.agentName, nowMs: this.environment.clock() });
    const agent = String(action.agentAddress).toLowerCase();
    return defaultOrError(await submit({ type: "approveAgent", account, agent, name, expiresAt: BigInt(expiresAtMs) * 1_000_000n, markets: "", maxOrderNotional: 0 }));
  }
}

// What an API wallet (agent key) may sign; everything else needs the account's wallet.
const agentActionTypes: ReadonlySet<string> = new Set(["order", "cancel", "cancelByCloid", "modify", "batchModify", "setReferrer"]);

type Submit = (input: Parameters<HyperliquidEnvironment["submit"]>[0]) => ReturnType<HyperliquidEnvironment["submit"]>;

function defaultOrError(ack: Awaited<ReturnType<Submit>>, asset?: number): HyperliquidReply {
  const result = ack.result;
  if (result.ok) return defaultResponse();
  const suffix = asset === undefined ? "" : ` asset=${asset}`;
  const sentence = result.code === "WITHDRAWAL_INSUFFICIENT" || result.code === "WITHDRAWAL_EXCEEDS_FREE_MARGIN" ? "Insufficient balance for withdrawal. " : "";
  throw new HyperliquidError(`${sentence}${result.code}: ${result.message}.${suffix}`, result.code);
}

function listOf(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > batchItemsWireMax) {
    throw new HyperliquidError(`action.${field} must be a list of 1 to ${batchItemsWireMax} entries`, "BATCH_SIZE_INVALID");
  }
  return value;
}

function cancelTargets(exchange: Exchange, type: "cancel" | "cancelByCloid", cancels: readonly unknown[]): CancelTarget[] {
  return cancels.map((entry) => {
    const fields = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const asset = assetByIndex(exchange, type === "cancel" ? fields.a : fields.asset);
    if (type === "cancel") {
      const orderId = fields.o;
      if (typeof orderId !== "number" || !Number.isSafeInteger(orderId) || orderId < 0) throw new HyperliquidError(`cancel.o must be an order id (a whole number). asset=${asset.asset}`);
      return { asset, ref: { orderId } };
    }
    if (typeof fields.cloid !== "string" || !/^0x[0-9a-fA-F]{32}$/.test(fields.cloid)) throw new HyperliquidError(`cancel.cloid must be 0x followed by 32 hex digits. asset=${asset.asset}`);
    return { asset, ref: { clientOrderId: fields.cloid } };
  });
}
