// Cloudflare's production limits around the real local bindings (not a mock: every call is forwarded to the
// miniflare D1 / Queues it wraps). Per-call limits (bound parameters, SQL length, value size, message and batch
// sizes, delays) are checked on every call; per-invocation counts (D1 queries, subrequests) are kept for the
// invocation the call runs in — one fetch, queue batch or scheduled run of test/worker/limited-entry.ts, or a
// test's own `runInvocation` — found through AsyncLocalStorage, so concurrent invocations never mix.
// A crossed limit throws inside the invocation (as production would) and is recorded for the afterEach in
// test/limits/setup.ts, which fails the running test with the limit, the observed value and the source.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  D1,
  INVOCATION,
  type InvocationLimits,
  type Limit,
  type Plan,
  QUEUES,
  queueMessageBytes,
  utf8Bytes,
} from '../../src/worker/limits';

export type Invocation = {
  label: string;
  d1Queries: number;
  /** fetch() calls. */
  external: number;
  /** Calls to D1 and Queues bindings (one per statement call, batch, exec, send or sendBatch). */
  services: number;
};

export type Violation = { invocation: string; limit: Limit; observed: number; detail: string };

export class LimitExceeded extends Error {
  constructor(readonly violation: Violation) {
    super(describe(violation));
    this.name = 'LimitExceeded';
  }
}

export function describe(v: Violation): string {
  return `Cloudflare limit exceeded in ${v.invocation}: ${v.limit.name} is ${v.limit.max.toLocaleString('en')}, observed ${v.observed.toLocaleString('en')}${v.detail ? ` (${v.detail})` : ''}. Source: ${v.limit.source}`;
}

const scope = new AsyncLocalStorage<Invocation>();
let violations: Violation[] = [];
let invocations: Invocation[] = [];
let plan: Plan = 'paid';

/** Which plan's per-invocation limits are enforced (per-call limits are the same on both). */
export function setPlan(next: Plan): void {
  plan = next;
}

export const currentPlan = (): Plan => plan;

/** Runs `fn` as one Worker invocation: binding calls and fetches inside it count toward its limits. */
export function runInvocation<T>(label: string, fn: () => T): T {
  const invocation: Invocation = { label, d1Queries: 0, external: 0, services: 0 };
  invocations.push(invocation);
  return scope.run(invocation, fn);
}

/** Violations recorded since the last call (and forgets them). */
export function takeViolations(): Violation[] {
  const taken = violations;
  violations = [];
  return taken;
}

/** Invocations recorded since the last call (and forgets them). */
export function takeInvocations(): Invocation[] {
  const taken = invocations;
  invocations = [];
  return taken;
}

export const subrequests = (i: Invocation): number => i.external + i.services;

/** Invocations and the limits they already crossed: the first crossing is recorded, later calls still throw. */
const crossed = new WeakMap<Invocation, Set<string>>();

function record(limit: Limit, observed: number, detail: string): never {
  const invocation = scope.getStore();
  const violation: Violation = {
    invocation: invocation?.label ?? 'test code (outside a Worker invocation)',
    limit,
    observed,
    detail,
  };
  const names = invocation ? (crossed.get(invocation) ?? new Set<string>()) : null;
  if (!names?.has(limit.name)) violations.push(violation);
  if (invocation && names) crossed.set(invocation, names.add(limit.name));
  throw new LimitExceeded(violation);
}

function atMost(limit: Limit, observed: number, detail = ''): void {
  if (observed > limit.max) record(limit, observed, detail);
}

/** Counts one call into the current invocation (none: test code polling D1 is not a Worker invocation). */
function count(kind: 'external' | 'services', queries = 0, detail = ''): void {
  const invocation = scope.getStore();
  if (!invocation) return;
  const limits: InvocationLimits = INVOCATION[plan];
  invocation[kind] += 1;
  invocation.d1Queries += queries;
  if (queries) atMost(limits.d1Queries, invocation.d1Queries, detail);
  if (kind === 'external') atMost(limits.externalSubrequests, invocation.external, detail);
  else atMost(limits.serviceSubrequests, invocation.services, detail);
  atMost(limits.subrequests, subrequests(invocation), detail);
}

const shortSql = (sql: string) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
};

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8Bytes(value);
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  return 0;
}

// ---- D1 ----
const REAL = Symbol('real statement');
type Limited = D1PreparedStatement & { [REAL]: D1PreparedStatement; sql: string };

function limitStatement(real: D1PreparedStatement, sql: string): Limited {
  const run = <T>(call: () => Promise<T>): Promise<T> => {
    try {
      count('services', 1, shortSql(sql));
    } catch (err) {
      return Promise.reject(err);
    }
    return call();
  };
  const statement = {
    [REAL]: real,
    sql,
    bind(...values: unknown[]) {
      atMost(D1.boundParameters, values.length, shortSql(sql));
      values.forEach((v, i) => {
        atMost(D1.valueBytes, valueBytes(v), `parameter ${i + 1} of ${shortSql(sql)}`);
      });
      return limitStatement(real.bind(...values), sql);
    },
    first: (column?: string) => run(() => (column === undefined ? real.first() : real.first(column))),
    run: () => run(() => real.run()),
    all: () => run(() => real.all()),
    raw: (options?: { columnNames?: boolean }) =>
      run(() => (options?.columnNames ? real.raw({ columnNames: true }) : real.raw())),
  };
  return statement as unknown as Limited;
}

const unwrap = (s: D1PreparedStatement): D1PreparedStatement => (s as Partial<Limited>)[REAL] ?? s;

function prepare(db: { prepare(sql: string): D1PreparedStatement }, sql: string): D1PreparedStatement {
  atMost(D1.statementBytes, utf8Bytes(sql), shortSql(sql));
  return limitStatement(db.prepare(sql), sql);
}

function batch<T>(
  db: { batch<U>(s: D1PreparedStatement[]): Promise<D1Result<U>[]> },
  statements: D1PreparedStatement[],
) {
  try {
    const sqls = [...new Set(statements.map((s) => shortSql((s as Partial<Limited>).sql ?? '?')))];
    count('services', statements.length, `db.batch of ${statements.length}: ${sqls.slice(0, 3).join(' | ')}`);
  } catch (err) {
    return Promise.reject(err);
  }
  return db.batch<T>(statements.map(unwrap));
}

function limitSession(session: D1DatabaseSession): D1DatabaseSession {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => prepare(target, sql);
      if (prop === 'batch') return <T>(s: D1PreparedStatement[]) => batch<T>(target, s);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function limitD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => prepare(target, sql);
      if (prop === 'batch') return <T>(s: D1PreparedStatement[]) => batch<T>(target, s);
      if (prop === 'exec')
        return (sql: string) => {
          try {
            atMost(D1.statementBytes, utf8Bytes(sql), shortSql(sql));
            count('services', sql.split(';').filter((s) => s.trim()).length, `db.exec: ${shortSql(sql)}`);
          } catch (err) {
            return Promise.reject(err);
          }
          return target.exec(sql);
        };
      if (prop === 'withSession')
        return (...args: Parameters<D1Database['withSession']>) => limitSession(target.withSession(...args));
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// ---- Queues ----
function checkDelay(delaySeconds: number | undefined, detail: string): void {
  if (delaySeconds !== undefined) atMost(QUEUES.delaySeconds, delaySeconds, detail);
}

function limitQueue(queue: Queue): Queue {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'send')
        return (body: unknown, options?: QueueSendOptions) => {
          try {
            atMost(QUEUES.messageBytes, queueMessageBytes(body, options?.contentType), 'send()');
            checkDelay(options?.delaySeconds, 'send()');
            count('services');
          } catch (err) {
            return Promise.reject(err);
          }
          return target.send(body, options);
        };
      if (prop === 'sendBatch')
        return (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          try {
            atMost(QUEUES.batchMessages, list.length, 'sendBatch()');
            let total = 0;
            list.forEach((m, i) => {
              const bytes = queueMessageBytes(m.body, m.contentType);
              atMost(QUEUES.messageBytes, bytes, `message ${i} of sendBatch()`);
              checkDelay(m.delaySeconds, `message ${i} of sendBatch()`);
              total += bytes;
            });
            atMost(QUEUES.batchBytes, total, `sendBatch() of ${list.length} messages`);
            checkDelay(options?.delaySeconds, 'sendBatch()');
            count('services');
          } catch (err) {
            return Promise.reject(err);
          }
          return target.sendBatch(list, options);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A consumer's batch whose retry()/retryAll() check the delay limit. */
export function limitBatch<B>(batch: MessageBatch<B>): MessageBatch<B> {
  const messages = batch.messages.map(
    (message) =>
      new Proxy(message, {
        get(target, prop) {
          if (prop === 'retry')
            return (options?: QueueRetryOptions) => {
              checkDelay(options?.delaySeconds, 'message.retry()');
              target.retry(options);
            };
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
  );
  return new Proxy(batch, {
    get(target, prop) {
      if (prop === 'messages') return messages;
      if (prop === 'retryAll')
        return (options?: QueueRetryOptions) => {
          checkDelay(options?.delaySeconds, 'batch.retryAll()');
          target.retryAll(options);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// ---- env and fetch ----
const has = (value: object, ...names: string[]) =>
  names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');

const wrapped = new WeakMap<object, unknown>();
const limitedEnvs = new WeakSet<object>();

function limitBinding(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = wrapped.get(value);
  if (known) return known;
  let limited: unknown = value;
  if (has(value, 'prepare', 'batch', 'exec')) limited = limitD1(value as D1Database);
  else if (has(value, 'send', 'sendBatch')) limited = limitQueue(value as Queue);
  wrapped.set(value, limited);
  return limited;
}

/** The env with every D1 database and queue producer limited (recognised by shape, whatever its name). */
export function limitEnv<E extends object>(env: E): E {
  if (limitedEnvs.has(env)) return env;
  const proxy = new Proxy(env, { get: (target, prop) => limitBinding(Reflect.get(target, prop, target)) });
  limitedEnvs.add(proxy);
  return proxy;
}

const LIMITED_FETCH = Symbol.for('order-relay.limited-fetch');

/** Counts every global fetch() made inside an invocation as an external subrequest (patched once per isolate). */
export function limitFetch(): void {
  const real = globalThis.fetch as typeof fetch & { [LIMITED_FETCH]?: true };
  if (real[LIMITED_FETCH]) return;
  const limited = (...args: Parameters<typeof fetch>) => {
    try {
      const url = args[0] instanceof Request ? args[0].url : String(args[0]);
      count('external', 0, `fetch ${url.slice(0, 80)}`);
    } catch (err) {
      return Promise.reject(err);
    }
    return real(...args);
  };
  globalThis.fetch = Object.assign(limited, { [LIMITED_FETCH]: true as const }) as typeof fetch;
}
