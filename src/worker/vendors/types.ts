// The vendor interface (docs/README.md "Vendors"): a vendor is a pure module — config from env, requests from
// events, an outcome from a response. One dispatcher (src/worker/deliver.ts) does all the I/O.
import type { VarName, Vars } from '../env';
import type { CanonicalEvent, Consent, Status } from '../event';
import type { FoldedOrder } from '../order';

export type VendorName = 'mytracker' | 'esputnik' | 'ecomail' | 'vtmarketing' | 'yandex';

/** An event of the order this vendor already acknowledged. */
export type SentEvent = { key: string; status: Status; occurred_at: number };

export type Work = {
  event: CanonicalEvent;
  /** The order folded from every stored event (its latest state). */
  order: FoldedOrder;
  /** The order as it stood just before this event (null for its first event). */
  before: FoldedOrder | null;
  sent: SentEvent[];
};

export type VendorRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Event keys whose delivery this request completes (empty for a preparatory call, e.g. a contact upsert). */
  keys: string[];
  /** Requests sharing a lane are sent one after another, and a failure stops the rest of the lane. */
  lane?: string;
};

export type Skip = { key: string; reason: string };
export type Plan = { requests: VendorRequest[]; skipped: Skip[] };

export type VendorResponse = { status: number; headers: Record<string, string>; body: string };
export type Outcome = 'delivered' | 'retry' | 'rejected';
export type Classified = { outcome: Outcome; retryAfter?: number; detail: string };

export type Vendor<C = unknown> = {
  name: VendorName;
  label: string;
  /** `queue`: one message per event × vendor; `flush`: rows wait in D1 for a periodic upload (Yandex). */
  mode: 'queue' | 'flush';
  /** The Consent Mode key that must not be `denied` when CONSENT_REQUIRED=true. */
  consentKey: keyof Consent;
  /** Names of the env values that are secrets: masked in previews, never logged. */
  secrets: readonly VarName[];
  /** Null when a required secret is missing: the vendor is disabled. */
  parseConfig(env: Vars): C | null;
  plan(work: readonly Work[], config: C): Plan;
  classify(response: VendorResponse): Classified;
  /** A request that proves the credentials work, where the vendor offers one. */
  checkRequest?(config: C): VendorRequest;
};
