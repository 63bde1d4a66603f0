// Opt-in usage counters (METER=true), for `npm run soak`: per invocation, the D1 statements run and the rows D1
// itself reports read and written (`meta.rows_read` / `meta.rows_written`, the figures D1 bills), and the queue
// messages sent, received and retried. One `meter` log line per invocation. Off (the default) nothing is wrapped.
import { type Env, flag } from './env';
import { log } from './log';

export type Counts = {
  d1_statements: number;
  d1_rows_read: number;
  d1_rows_written: number;
  /** Statements whose result carried no meta (raw(), exec()): counted, their rows not. */
  d1_unmetered: number;
  queue_sent: number;
  /** Billed per started 64 KB of each message. */
  queue_sent_64kb: number;
  queue_received: number;
  queue_retried: number;
};

const zero = (): Counts => ({
  d1_statements: 0,
  d1_rows_read: 0,
  d1_rows_written: 0,
  d1_unmetered: 0,
  queue_sent: 0,
  queue_sent_64kb: 0,
  queue_received: 0,
  queue_retried: 0,
});

type Meta = { rows_read?: number; rows_written?: number } | undefined;

function addMeta(c: Counts, meta: Meta): void {
  c.d1_rows_read += meta?.rows_read ?? 0;
  c.d1_rows_written += meta?.rows_written ?? 0;
}

/** A bound value's own method, called on the real object (workerd's bindings check their receiver). */
function passThrough<T extends object>(target: T, prop: string | symbol): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

function meterD1(db: D1Database, c: Counts): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const statement = (s: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(s, {
      get(target, prop) {
        if (prop === 'bind') return (...values: unknown[]) => statement(target.bind(...values));
        if (prop === 'run' || prop === 'all')
          return async () => {
            c.d1_statements++;
            const result = await target.all();
            addMeta(c, result.meta);
            return result;
          };
        if (prop === 'first')
          // first() returns no meta: the same query through all(), then its first row (or that row's column).
          return async (column?: string) => {
            c.d1_statements++;
            const result = await target.all<Record<string, unknown>>();
            addMeta(c, result.meta);
            const row = result.results[0];
            if (!row) return null;
            return column === undefined ? row : (row[column] ?? null);
          };
        if (prop === 'raw')
          return (...args: unknown[]) => {
            c.d1_statements++;
            c.d1_unmetered++;
            return (target.raw as (...a: unknown[]) => unknown)(...args);
          };
        return passThrough(target, prop);
      },
    });
    real.set(proxy, s);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => statement(target.prepare(sql));
      if (prop === 'batch')
        return async (list: D1PreparedStatement[]) => {
          c.d1_statements += list.length;
          const results = await target.batch(list.map((s) => real.get(s) ?? s));
          for (const r of results) addMeta(c, r.meta);
          return results;
        };
      if (prop === 'exec')
        return (sql: string) => {
          const n = sql.split(';').filter((s) => s.trim()).length;
          c.d1_statements += n;
          c.d1_unmetered += n;
          return target.exec(sql);
        };
      return passThrough(target, prop);
    },
  });
}

const encoder = new TextEncoder();
const chunks64kb = (body: unknown) => Math.max(1, Math.ceil(encoder.encode(JSON.stringify(body)).length / 65_536));

function meterQueue<T>(queue: Queue<T>, c: Counts): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'send')
        return (body: T, options?: QueueSendOptions) => {
          c.queue_sent++;
          c.queue_sent_64kb += chunks64kb(body);
          return target.send(body, options);
        };
      if (prop === 'sendBatch')
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          c.queue_sent += list.length;
          for (const m of list) c.queue_sent_64kb += chunks64kb(m.body);
          return target.sendBatch(list, options);
        };
      return passThrough(target, prop);
    },
  });
}

function meterBatch<T>(batch: MessageBatch<T>, c: Counts): MessageBatch<T> {
  c.queue_received += batch.messages.length;
  const messages = batch.messages.map(
    (m) =>
      new Proxy(m, {
        get(target, prop) {
          if (prop === 'retry')
            return (options?: QueueRetryOptions) => {
              c.queue_retried++;
              target.retry(options);
            };
          return passThrough(target, prop);
        },
      }),
  );
  return new Proxy(batch, {
    get(target, prop) {
      if (prop === 'messages') return messages;
      if (prop === 'retryAll')
        return (options?: QueueRetryOptions) => {
          c.queue_retried += messages.length;
          target.retryAll(options);
        };
      return passThrough(target, prop);
    },
  });
}

/** The same env with D1 and the queue producers counted into `counts`. */
export function meterEnv(env: Env): { env: Env; counts: Counts } {
  const counts = zero();
  const metered: Env = {
    ...env,
    DB: meterD1(env.DB, counts),
    INGEST: meterQueue(env.INGEST, counts),
    DELIVERIES: meterQueue(env.DELIVERIES, counts),
    ...(env.BROWSE ? { BROWSE: meterQueue(env.BROWSE, counts) } : {}),
  };
  return { env: metered, counts };
}

/** Runs `run` with the metered env and a context whose waitUntil work is awaited before the line is logged. */
async function metered<R>(
  kind: string,
  env: Env,
  ctx: ExecutionContext,
  run: (env: Env, ctx: ExecutionContext, counts: Counts) => Promise<R>,
): Promise<R> {
  const { env: menv, counts } = meterEnv(env);
  const pending: Promise<unknown>[] = [];
  const mctx = new Proxy(ctx, {
    get(target, prop) {
      if (prop === 'waitUntil') return (p: Promise<unknown>) => pending.push(p);
      return passThrough(target, prop);
    },
  });
  const report = async () => {
    await Promise.allSettled(pending);
    log('info', 'meter', { kind, ...counts });
  };
  try {
    return await run(menv, mctx, counts);
  } finally {
    ctx.waitUntil(report());
  }
}

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;
type QueueHandler = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;
type Scheduled = (controller: ScheduledController, env: Env, ctx: ExecutionContext) => Promise<void>;
/** Any handler object: its own parameter types stay as declared (the result has the argument's type). */
type Handlers = {
  fetch?: (...args: never[]) => unknown;
  queue?: (...args: never[]) => unknown;
  scheduled?: (...args: never[]) => unknown;
};

/** Wraps a Worker's handlers so each invocation is metered when METER is on; unchanged otherwise. */
export function withMeter<H extends Handlers>(handler: H): H {
  const fetch = handler.fetch as unknown as Fetch | undefined;
  const queue = handler.queue as unknown as QueueHandler | undefined;
  const scheduled = handler.scheduled as unknown as Scheduled | undefined;
  const wrapped: { fetch?: Fetch; queue?: QueueHandler; scheduled?: Scheduled } = {};
  if (fetch)
    wrapped.fetch = (request, env, ctx) =>
      flag(env.METER)
        ? metered(`fetch ${new URL(request.url).pathname}`, env, ctx, (e, c) => fetch(request, e, c))
        : fetch(request, env, ctx);
  if (queue)
    wrapped.queue = (batch, env, ctx) =>
      flag(env.METER)
        ? metered(`queue:${batch.queue}`, env, ctx, (e, c, counts) => queue(meterBatch(batch, counts), e, c))
        : queue(batch, env, ctx);
  if (scheduled)
    wrapped.scheduled = (controller, env, ctx) =>
      flag(env.METER)
        ? metered('scheduled', env, ctx, (e, c) => scheduled(controller, e, c))
        : scheduled(controller, env, ctx);
  return { ...handler, ...wrapped } as H;
}
