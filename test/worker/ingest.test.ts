// Ingest: every status code of both doors, all-or-nothing validation, nothing queued for a refused body.
import { describe, expect, it } from 'vitest';
import type { IngestMessage } from '../../src/worker/env';
import { QUEUE_BATCH_BUDGET, QUEUE_MESSAGE_BUDGET, sendBatchChunks } from '../../src/worker/ingest';
import { QUEUES, queueMessageBytes } from '../../src/worker/limits';
import { call, env, makeEvent, postBrowser, postEvents, S2S_TOKEN, storedEvents, waitFor } from './helpers';
import worker from './limited-entry';

/** A back-office request for calling the Worker with an env of the test's own. */
const serverRequest = (body: unknown) =>
  new Request('https://relay.shop.example/v1/events', {
    method: 'POST',
    headers: { authorization: `Bearer ${S2S_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }) as Parameters<typeof worker.fetch>[0];

describe('sendBatchChunks', () => {
  const sized = (bytes: number[]) => bytes.map((b, i) => ({ message: { body: i }, bytes: b }));
  it('cuts at 100 messages and at the byte budget, keeping order', () => {
    expect(sendBatchChunks(sized(Array(250).fill(10))).map((c) => c.length)).toEqual([100, 100, 50]);
    const big = QUEUE_BATCH_BUDGET / 2;
    const chunks = sendBatchChunks(sized([big, big, 1, big]));
    expect(chunks.map((c) => c.map((m) => m.body))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(sendBatchChunks(sized([]))).toEqual([]);
  });
});

describe('POST /v1/events (back office)', () => {
  it('accepts one event with 202 and its key, and stores it via the queue', async () => {
    const event = makeEvent();
    const res = await postEvents(event);
    expect(res.status).toBe(202);
    const body = await res.json<{ accepted: number; keys: string[] }>();
    expect(body).toEqual({ accepted: 1, keys: [`${event.order_id}:paid`] });
    const stored = await waitFor(async () => (await storedEvents(String(event.order_id))).length === 1);
    expect(stored).toBe(true);
  });

  it('accepts an array of events all-or-nothing', async () => {
    const a = makeEvent({ status: 'created' });
    const b = makeEvent({ order_id: a.order_id, status: 'paid' });
    const res = await postEvents([a, b]);
    expect(res.status).toBe(202);
    expect((await res.json<{ keys: string[] }>()).keys).toEqual([`${a.order_id}:created`, `${a.order_id}:paid`]);
  });

  it('refuses the whole array with 400 and every issue when one event is invalid', async () => {
    const good = makeEvent();
    const bad = makeEvent({ status: 'shipped', items: [{ id: '', quantity: 'many' }] });
    const res = await postEvents([good, bad]);
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; issues: { path: string; message: string }[] }>();
    expect(body.error).toBe('invalid_event');
    expect(body.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['1.status', '1.items.0.id', '1.items.0.quantity']),
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedEvents(String(good.order_id))).toEqual([]);
  });

  it.each([
    ['no token', null, 401],
    ['a wrong token', 'nope', 401],
  ])('answers %s with 401', async (_what, token, status) => {
    const res = await postEvents(makeEvent(), { token });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect((await res.json<{ error: string }>()).error).toBe('unauthorized');
  });

  it('answers bad JSON with 400, a wrong content type with 415, a huge body with 413, an empty array with 400', async () => {
    expect((await postEvents('{"order_id":')).status).toBe(400);
    expect((await postEvents(makeEvent(), { type: 'text/plain' })).status).toBe(415);
    expect((await postEvents('x'.repeat(1024 * 1024 + 10))).status).toBe(413);
    expect((await postEvents([])).status).toBe(400);
    expect((await postEvents(Array.from({ length: 101 }, () => makeEvent()))).status).toBe(413);
  });

  it('keeps unknown fields under extra and refuses a caller-set context', async () => {
    const res = await postEvents(makeEvent({ context: { source: 'server' } }));
    expect(res.status).toBe(400);
    const event = makeEvent({ loyalty_tier: 'gold', ['__proto__']: { polluted: true } });
    const ok = await postEvents(
      JSON.stringify(event).replace('"loyalty_tier"', '"__proto__":{"polluted":true},"loyalty_tier"'),
    );
    expect(ok.status).toBe(202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 503 and accepts nothing when the queue refuses', async () => {
    const refusing = {
      ...env,
      INGEST: {
        sendBatch: async () => {
          throw new Error('queue unavailable');
        },
      },
    } as unknown as typeof env;
    const res = await worker.fetch(serverRequest(makeEvent()), refusing);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await res.json<{ error: string }>()).error).toBe('unavailable');
  });

  it('refuses with 413 an event too large for one queue message, naming the limit, and queues nothing', async () => {
    const small = makeEvent();
    const huge = makeEvent({ note: 'x'.repeat(130_000) });
    const res = await postEvents([small, huge]);
    expect(res.status).toBe(413);
    const body = await res.json<{ error: string; message: string }>();
    expect(body.error).toBe('event_too_large');
    expect(body.message).toContain('Event 1 ');
    expect(body.message).toContain(`${QUEUES.messageBytes.max} bytes per message`);
    expect(body.message).toContain(QUEUES.messageBytes.source);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedEvents(String(small.order_id))).toEqual([]);
    // Just under the budget still goes through.
    const fits = makeEvent({ note: 'x'.repeat(QUEUE_MESSAGE_BUDGET - 2_000) });
    expect((await postEvents(fits)).status).toBe(202);
  });

  it('splits a back-office batch of 100 events of ~5 KB into sendBatch calls within 100 messages and 256 KB', async () => {
    const events = Array.from({ length: 100 }, () => makeEvent({ note: 'x'.repeat(4_600) }));
    const sizes: number[][] = [];
    const counting = {
      ...env,
      INGEST: {
        send: env.INGEST.send.bind(env.INGEST),
        sendBatch: (messages: MessageSendRequest<IngestMessage>[]) => {
          sizes.push(messages.map((m) => queueMessageBytes(m.body, m.contentType)));
          return env.INGEST.sendBatch(messages);
        },
      },
    } as unknown as typeof env;
    const res = await worker.fetch(serverRequest(events), counting);
    expect(res.status).toBe(202);
    expect((await res.json<{ accepted: number }>()).accepted).toBe(100);
    // One call would have been ~500 KB: at least two, each inside both limits, every event sent once.
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    for (const call of sizes) {
      expect(call.length).toBeLessThanOrEqual(QUEUES.batchMessages.max);
      expect(call.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(QUEUES.batchBytes.max);
    }
    expect(sizes.flat()).toHaveLength(100);
    const stored = await waitFor(
      async () => {
        const found = await Promise.all(events.map((e) => storedEvents(String(e.order_id))));
        return found.every((f) => f.length === 1);
      },
      { timeout: 30_000 },
    );
    expect(stored).toBe(true);
  });

  it('answers 503 when only part of a batch was queued; the retried request stores every event once', async () => {
    const events = Array.from({ length: 60 }, () => makeEvent({ note: 'x'.repeat(4_600) }));
    let calls = 0;
    const failingSecond = {
      ...env,
      INGEST: {
        send: env.INGEST.send.bind(env.INGEST),
        sendBatch: (messages: MessageSendRequest<IngestMessage>[]) =>
          ++calls === 1 ? env.INGEST.sendBatch(messages) : Promise.reject(new Error('queue unavailable')),
      },
    } as unknown as typeof env;
    const res = await worker.fetch(serverRequest(events), failingSecond);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await res.json<{ error: string; message: string }>();
    expect(body.error).toBe('unavailable');
    expect(body.message).toMatch(/^Only \d+ of 60 events could be queued/);
    expect(calls).toBe(2);
    const retry = await postEvents(events);
    expect(retry.status).toBe(202);
    const stored = await waitFor(
      async () => {
        const found = await Promise.all(events.map((e) => storedEvents(String(e.order_id))));
        return found.every((f) => f.length === 1) ? found : null;
      },
      { timeout: 30_000 },
    );
    expect(stored?.map((f) => f.length)).toEqual(events.map(() => 1));
  });

  it('answers other methods with 405 and unknown paths with 404', async () => {
    expect((await call('/v1/events')).status).toBe(405);
    expect((await call('/nope')).status).toBe(404);
    expect((await call('/o', { method: 'GET' })).status).toBe(405);
  });
});

describe('POST /o (browser)', () => {
  it('accepts a text/plain event from an allowed origin with CORS headers', async () => {
    const res = await postBrowser(makeEvent());
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('refuses a foreign or missing origin with 403', async () => {
    expect((await postBrowser(makeEvent(), { origin: 'https://evil.example' })).status).toBe(403);
    expect((await postBrowser(makeEvent(), { origin: null })).status).toBe(403);
  });

  it('answers the CORS preflight for allowed origins only', async () => {
    const ok = await call('/o', {
      method: 'OPTIONS',
      headers: { origin: 'https://www.shop.example', 'access-control-request-method': 'POST' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    const no = await call('/o', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(no.status).toBe(403);
  });

  it('refuses bodies over 16 KB (413), other content types (415) and bad JSON (400)', async () => {
    expect((await postBrowser(makeEvent({ note: 'x'.repeat(17 * 1024) }))).status).toBe(413);
    expect((await postBrowser(makeEvent(), { type: 'application/x-www-form-urlencoded' })).status).toBe(415);
    const bad = await postBrowser('not json');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });
});

describe('GET /health and /s.js', () => {
  it('names the enabled vendors and no secret', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).vendors).toContain('mytracker');
    expect(text).not.toContain('test-mytracker-token');
  });

  it('serves the snippet with an ETag and answers 304 to If-None-Match', async () => {
    const res = await call('/s.js');
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(res.headers.get('content-type')).toContain('javascript');
    const again = await call('/s.js', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });
});
