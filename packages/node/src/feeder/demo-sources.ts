// The demo exchange's oracle sources: three per demo market, with keys derived from public labels so that
// `npm start --oracle-feeder random` can sign for them. The keys are published by this file: demo only;
// a real deployment registers its providers' own addresses.
import { keccak256, stringToBytes, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * A source the genesis registers: id, subject, signing address, reputation and weight.
 *
 * @example
 * const registration: OracleSourceRegistration = { source: "btc-perp-1", subject: "BTC-PERP", signer: "0x…", reputation: 90, weight: 1 };
 */
export interface OracleSourceRegistration {
  readonly source: string;
  readonly subject: string;
  readonly signer: string;
  readonly reputation: number;
  readonly weight: number;
}

/**
 * A source with its private key, for the feeder.
 *
 * @example
 * const key: FeederSourceKey = { source: "btc-perp-1", subject: "BTC-PERP", privateKey: "0x…" };
 */
export interface FeederSourceKey {
  readonly source: string;
  readonly subject: string;
  readonly privateKey: Hex;
}

/** Reputations of the three demo sources of each subject: primary, secondary, tertiary (PRD §2.6.1). */
const demoReputations = [90, 80, 70] as const;

/**
 * The demo private keys: keccak256 of "perpdex demo oracle <subject> <n>". Public by construction.
 *
 * @example
 * demoOracleKeys(["BTC-PERP"]).map((key) => key.source); // => ["btc-perp-1", "btc-perp-2", "btc-perp-3"]
 */
export function demoOracleKeys(subjects: readonly string[]): FeederSourceKey[] {
  return subjects.flatMap((subject) =>
    demoReputations.map((_, index) => ({
      source: `${subject.toLowerCase()}-${index + 1}`,
      subject,
      privateKey: keccak256(stringToBytes(`perpdex demo oracle ${subject} ${index + 1}`)),
    })),
  );
}

/**
 * The registrations of the demo sources (what the demo genesis lists).
 *
 * @example
 * demoOracleSources(["BTC-PERP"])[0]?.reputation; // => 90
 */
export function demoOracleSources(subjects: readonly string[]): OracleSourceRegistration[] {
  return demoOracleKeys(subjects).map((key, index) => ({
    source: key.source,
    subject: key.subject,
    signer: privateKeyToAccount(key.privateKey).address.toLowerCase(),
    reputation: demoReputations[index % demoReputations.length]!,
    weight: 1,
  }));
}
