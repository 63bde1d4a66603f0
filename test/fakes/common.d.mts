// Types for common.mjs (the fakes are plain ESM so they run in Node without a build step).

/** One entry of `fake.received`: every request the fake saw, in order. */
export interface ReceivedRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names. Kept in memory for assertions; never logged. */
  headers: Record<string, string>;
  body: string;
  /** 0 = simulated refused connection. */
  status: number;
  /** True when the payload was stored (it is in `fake.accepted`). */
  accepted: boolean;
  error?: string;
  /** Set for injected failures: 'failNext' | 'afterProcessing' | 'random' | 'down'. */
  injected?: string;
  summary?: string;
  /** The rate-limit rule that answered 429 (rate-limit mode). */
  throttled?: string;
  at: number;
  /** When the answer was ready (absent for a refused connection). */
  end?: number;
}

export interface FailOptions {
  status?: number;
  retryAfter?: number | string;
  body?: unknown;
  delayMs?: number;
  afterProcessing?: boolean;
  refuse?: boolean;
}

export interface FailureRateOptions {
  rng?: () => number;
  statuses?: number[];
  retryAfter?: number;
  refuseShare?: number;
}

export interface Fake<A = unknown> {
  readonly name: string;
  handle(request: Request): Promise<Response>;
  handleWithRecord(request: Request): Promise<{ response: Response; record: ReceivedRecord }>;
  received: ReceivedRecord[];
  accepted: A[];
  failNext(n?: number, opts?: FailOptions): this;
  setFailureRate(rate: number, opts?: FailureRateOptions): this;
  down(on?: boolean, opts?: { status?: number; refuse?: boolean; retryAfter?: number }): this;
  reset(): this;
  observe(fn: (record: ReceivedRecord) => void): () => void;
  /** Opt-in rate-limit mode: 429 + Retry-After past the vendor's limits; `overrides` = { [rule name]: max }. */
  rateLimits(on?: boolean, overrides?: Record<string, number>): this;
  /** 429s answered by the rate-limit mode since the last reset. */
  throttled: number;
  readonly limits: readonly RateRule[];
}

/** Requests per sliding window, or parallel requests in flight; `key` names the bucket (null: rule not applicable). */
export interface RateRule {
  name: string;
  max: number;
  windowMs?: number;
  parallel?: boolean;
  key?: (record: ReceivedRecord) => string | null | undefined;
}

export function createLimiter(rules: readonly RateRule[]): {
  clear(): void;
  admit(
    record: ReceivedRecord,
    now: number,
  ): { ok: true; done(): void } | { ok: false; rule: string; retryAfter: number };
};

export function json(
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): { status: number; body: unknown; headers: Record<string, string> };
export function sleep(ms: number, signal?: AbortSignal): Promise<void>;
export function matchPath(pathname: string, source: string): (string | undefined)[] | null;
export function isMediaType(contentType: string | null | undefined, type: string): boolean;
export function loggablePath(url: string): string;
export function listen(
  handler: (request: Request) => Promise<Response>,
  opts?: { host?: string; port?: number },
): Promise<{ port: number; url: string; close(): Promise<void> }>;
export type NodeListener = (req: unknown, res: unknown) => Promise<void>;
export function toNodeListener(handler: (request: Request) => Promise<Response>, fallbackHost?: string): NodeListener;
export function listenNode(
  listener: NodeListener,
  opts?: { host?: string; port?: number },
): Promise<{ port: number; url: string; close(): Promise<void> }>;
