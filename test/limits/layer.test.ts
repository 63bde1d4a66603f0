// The limits layer itself: each documented limit fails exactly when crossed, normal traffic passes, and the
// counts belong to the invocation they happened in.
import { describe, expect, it } from 'vitest';
import { D1, INVOCATION, QUEUES } from '../../src/worker/limits';
import { call, env, invocation, makeEvent, postEvents } from '../worker/helpers';
import { LimitExceeded, runInvocation, subrequests, takeInvocations, takeViolations } from './layer';

/** Runs `fn`, expects it to throw LimitExceeded for `limit`, and consumes the recorded violation. */
async function expectViolation(limit: { name: string; max: number }, observed: number, fn: () => Promise<unknown>) {
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LimitExceeded);
  const violations = takeViolations();
  expect(violations).toHaveLength(1);
  expect(violations[0]).toMatchObject({ limit: { name: limit.name, max: limit.max }, observed });
  expect((err as Error).message).toContain('https://developers.cloudflare.com/');
}

const select = (n: number) => `SELECT ${Array.from({ length: n }, (_, i) => `?${i + 1}`).join(', ')}`;

describe('D1 per-statement limits', () => {
  it('passes a statement with 100 bound parameters and fails one with 101', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i);
    expect(
      await env.DB.prepare(select(100))
        .bind(...hundred)
        .raw(),
    ).toEqual([hundred]);
    await expectViolation(D1.boundParameters, 101, async () =>
      env.DB.prepare(select(101))
        .bind(...hundred, 100)
        .raw(),
    );
  });

  it('fails a SQL statement over 100,000 bytes before it reaches D1', async () => {
    const sql = `SELECT '${'x'.repeat(100_000)}'`;
    await expectViolation(D1.statementBytes, 100_009, async () => env.DB.prepare(sql).first());
  });

  it('fails a bound string over 2,000,000 bytes', async () => {
    await expectViolation(D1.valueBytes, 2_000_001, async () =>
      env.DB.prepare('SELECT length(?1)')
        .bind(`${'é'.repeat(1_000_000)}x`)
        .first(),
    );
  });
});

describe('D1 queries per invocation', () => {
  it('counts every statement of a batch: 1,000 pass, 1,001 fail', async () => {
    const limit = INVOCATION.paid.d1Queries;
    const results = await invocation('test: 1,000 statements', (e) =>
      e.DB.batch(Array.from({ length: 1_000 }, () => e.DB.prepare('SELECT 1'))),
    );
    expect(results).toHaveLength(1_000);
    await expectViolation(limit, 1_001, () =>
      invocation('test: 1,001 statements', (e) =>
        e.DB.batch(Array.from({ length: 1_001 }, () => e.DB.prepare('SELECT 1'))),
      ),
    );
  });

  it('adds single statements and batches up within one invocation, and not across invocations', async () => {
    const limit = INVOCATION.paid.d1Queries;
    await invocation('test: 999 + 1', async (e) => {
      await e.DB.batch(Array.from({ length: 999 }, () => e.DB.prepare('SELECT 1')));
      await e.DB.prepare('SELECT 1').first();
    });
    await invocation('test: another 1,000', (e) =>
      e.DB.batch(Array.from({ length: 1_000 }, () => e.DB.prepare('SELECT 1'))),
    );
    await expectViolation(limit, 1_001, () =>
      invocation('test: 1,000 + 1', async (e) => {
        await e.DB.batch(Array.from({ length: 1_000 }, () => e.DB.prepare('SELECT 1')));
        await e.DB.prepare('SELECT 1').first();
      }),
    );
  });

  it('records a crossed limit once per invocation, and still refuses every later query in it', async () => {
    let later: unknown = null;
    await expectViolation(INVOCATION.paid.d1Queries, 1_001, () =>
      invocation('test: over, then more', async (e) => {
        await e.DB.batch(Array.from({ length: 1_000 }, () => e.DB.prepare('SELECT 1')));
        try {
          await e.DB.prepare('SELECT 1').first();
        } finally {
          later = await e.DB.prepare('SELECT 1')
            .first()
            .catch((err: unknown) => err);
        }
      }),
    );
    expect(later).toBeInstanceOf(LimitExceeded);
  });

  it('keeps concurrent invocations apart', async () => {
    takeInvocations();
    await Promise.all(
      [1, 2, 3].map((n) =>
        invocation(`test: concurrent ${n}`, async (e) => {
          for (let i = 0; i < n; i++) await e.DB.prepare('SELECT 1').first();
        }),
      ),
    );
    expect(takeInvocations().map((i) => i.d1Queries)).toEqual([1, 2, 3]);
  });

  it('enforces Free plan figures when asked (50 queries)', async () => {
    const { setPlan } = await import('./layer');
    setPlan('free');
    try {
      await invocation('test: 50 on Free', (e) =>
        e.DB.batch(Array.from({ length: 50 }, () => e.DB.prepare('SELECT 1'))),
      );
      await expectViolation(INVOCATION.free.d1Queries, 51, () =>
        invocation('test: 51 on Free', (e) => e.DB.batch(Array.from({ length: 51 }, () => e.DB.prepare('SELECT 1')))),
      );
    } finally {
      setPlan('paid');
    }
  });
});

describe('Queues limits', () => {
  const body = (bytes: number) => ({ pad: 'x'.repeat(bytes) });

  it('fails a 129 KB message, in send() and in sendBatch()', async () => {
    await expectViolation(QUEUES.messageBytes, 129_000 + 10 + 100, () =>
      env.INGEST.send(body(129_000) as never, { contentType: 'json' }),
    );
    await expectViolation(QUEUES.messageBytes, 129_000 + 10 + 100, () =>
      env.INGEST.sendBatch([{ body: body(129_000) as never, contentType: 'json' }]),
    );
  });

  it('fails a sendBatch of 101 messages', async () => {
    const messages = Array.from({ length: 101 }, () => ({ body: { n: 1 } as never, contentType: 'json' as const }));
    await expectViolation(QUEUES.batchMessages, 101, () => env.INGEST.sendBatch(messages));
  });

  it('fails a sendBatch over 256 KB in total even when every message fits', async () => {
    const messages = Array.from({ length: 3 }, () => ({ body: body(100_000) as never, contentType: 'json' as const }));
    await expectViolation(QUEUES.batchBytes, 3 * (100_000 + 10 + 100), () => env.INGEST.sendBatch(messages));
  });

  it('fails a delay over 24 hours', async () => {
    await expectViolation(QUEUES.delaySeconds, 86_401, () =>
      env.INGEST.send({ n: 1 } as never, { contentType: 'json', delaySeconds: 86_401 }),
    );
  });
});

describe('Worker invocations through the test entry', () => {
  it('counts a fetch invocation (normal traffic passes)', async () => {
    takeInvocations();
    expect((await call('/health')).status).toBe(200);
    expect((await postEvents(makeEvent())).status).toBe(202);
    const seen = takeInvocations();
    const health = seen.find((i) => i.label === 'fetch GET /health');
    const ingest = seen.find((i) => i.label === 'fetch POST /v1/events');
    expect(health?.d1Queries).toBeGreaterThan(0);
    expect(ingest).toMatchObject({ d1Queries: 0, services: 1 });
    expect(takeViolations()).toEqual([]);
  });

  it('counts fetch() calls made inside an invocation as subrequests, and none outside', async () => {
    const seen = await runInvocation('test: two fetches', async () => {
      await fetch('http://fakes.control/reset', { method: 'POST' });
      await fetch('http://fakes.control/reset', { method: 'POST' });
      return takeInvocations().find((i) => i.label === 'test: two fetches');
    });
    expect(seen && subrequests(seen)).toBe(2);
    await fetch('http://fakes.control/reset', { method: 'POST' });
    expect(takeInvocations()).toEqual([]);
  });
});
