// Shared machinery for the fake vendor servers: request recording, failure injection, JSON replies,
// path matching relative to any base URL, and an adapter that serves a fake from node:http.
// Plain Node 20 ESM (global Request/Response); nothing here knows about a particular vendor.
import http from 'node:http';

/** A JSON reply with `content-type: application/json`. */
export function json(status, body, headers = {}) {
  return { status, body, headers };
}

/** Sleep `ms`, waking early when `signal` aborts (the caller gave up: a timeout on its side). */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener?.(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Match `pathname` against `re` anchored at the END of the path, so a base URL may carry any prefix
 * (`http://127.0.0.1:9101` or `https://host/prefix`). `re` is a source string such as '/v1/order/?'.
 * Returns the match groups or null.
 */
export function matchPath(pathname, source) {
  const m = new RegExp(`^(?:/.*)?${source}$`).exec(pathname);
  return m ? m.slice(1).map((g) => (g === undefined ? g : decodeURIComponent(g))) : null;
}

/** Is the media type of `contentType` exactly `type` (parameters such as charset allowed)? */
export function isMediaType(contentType, type) {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === type;
}

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
export const isNumeric = (v) =>
  (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v));
export const isInteger = (v) =>
  (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v));

/** Names of query/header values that must never be logged. */
const SECRET_QUERY = /token|key|secret|auth|password/i;

/** `path?query` for logs, with secret-looking query values masked. */
export function loggablePath(url) {
  const u = new URL(url);
  const q = [...u.searchParams].map(([k, v]) => `${k}=${SECRET_QUERY.test(k) ? '***' : v}`).join('&');
  return u.pathname + (q ? `?${q}` : '');
}

/**
 * Build a fake vendor around `process(ctx)`, which validates and stores, then returns `json(...)`.
 * ctx = { request, url, method, path, query, headers, body, bytes, accept(entry), reject(error), drop(), summary(s) }.
 * `errorBody(status)` is the vendor's own error body for injected failures.
 */
export function createFakeBase({ name, process, errorBody, onReset = () => {}, limits = [] }) {
  let failQueue = [];
  let rate = { rate: 0 };
  let isDown = null;
  const observers = new Set();
  /** Opt-in rate-limit mode (rateLimits()): null = off, as every existing test expects. */
  let limiter = null;

  const fake = {
    name,
    received: [],
    accepted: [],
    /** The next `n` requests fail: `status` (default 500), optional Retry-After, body, delay, afterProcessing, refuse. */
    failNext(n = 1, opts = {}) {
      for (let i = 0; i < n; i++) failQueue.push({ status: 500, ...opts });
      return fake;
    },
    /** Random failures before processing, with probability `r` per request. */
    setFailureRate(r, { rng = Math.random, statuses = [500, 503, 429], retryAfter = 1, refuseShare = 0 } = {}) {
      rate = { rate: r, rng, statuses, retryAfter, refuseShare };
      return fake;
    },
    /** Every request fails (503, or a refused connection with `{ refuse: true }`) until down(false). */
    down(on = true, { status = 503, refuse = false, retryAfter } = {}) {
      isDown = on ? { status, refuse, retryAfter } : null;
      return fake;
    },
    reset() {
      fake.received.length = 0;
      fake.accepted.length = 0;
      failQueue = [];
      rate = { rate: 0 };
      isDown = null;
      limiter?.clear();
      fake.throttled = 0;
      onReset();
      return fake;
    },
    /** 429s answered by the rate-limit mode. */
    throttled: 0,
    /** The vendor's own limits (see each fake's LIMITS), for reports. */
    limits,
    /**
     * Rate-limit mode: answer 429 + Retry-After past the vendor's documented limits (sliding windows of admitted
     * requests, and parallel requests in flight). Off by default. `overrides` = { [rule name]: max } changes a figure.
     */
    rateLimits(on = true, overrides = {}) {
      limiter = on ? createLimiter(limits.map((r) => ({ ...r, max: overrides[r.name] ?? r.max }))) : null;
      return fake;
    },
    /** Subscribe to finished records (used by the HTTP server's log); returns an unsubscribe function. */
    observe(fn) {
      observers.add(fn);
      return () => observers.delete(fn);
    },
    /** WHATWG Request → Response; throws TypeError('fetch failed') for a simulated refused connection. */
    async handle(request) {
      return (await fake.handleWithRecord(request)).response;
    },
    /** Like handle(), also returning the `received` record. */
    async handleWithRecord(request) {
      const url = new URL(request.url);
      const bytes = new Uint8Array(await request.arrayBuffer());
      const record = {
        method: request.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
        body: new TextDecoder().decode(bytes),
        status: 0,
        accepted: false,
        at: Date.now(),
      };
      fake.received.push(record);
      const finish = (reply) => {
        record.status = reply.status;
        record.end = Date.now();
        for (const fn of observers) fn(record);
        const headers = { 'content-type': 'application/json', ...reply.headers };
        return { record, response: new Response(JSON.stringify(reply.body), { status: reply.status, headers }) };
      };
      const refuse = (why) => {
        record.status = 0;
        record.injected = why;
        record.error = 'refused (simulated connection failure)';
        for (const fn of observers) fn(record);
        // The same error undici's fetch throws for a refused connection.
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED (simulated)'), { code: 'ECONNREFUSED' }),
        });
      };
      const failure = (f, why) => {
        record.injected = why;
        record.error ??= `injected ${why} failure`;
        const headers = f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {};
        return json(f.status, f.body ?? errorBody(f.status), headers);
      };

      if (isDown) {
        if (isDown.refuse) return refuse('down');
        return finish(failure(isDown, 'down'));
      }
      const admission = limiter?.admit(record, Date.now());
      if (admission && !admission.ok) {
        fake.throttled++;
        record.throttled = admission.rule;
        return finish(failure({ status: 429, retryAfter: admission.retryAfter }, `rate limit ${admission.rule}`));
      }
      try {
        return await processAdmitted();
      } finally {
        admission?.done();
      }

      async function processAdmitted() {
        const planned = failQueue.shift();
        if (planned && !planned.afterProcessing) {
          if (planned.delayMs) await sleep(planned.delayMs, request.signal);
          if (planned.refuse) return refuse('failNext');
          return finish(failure(planned, 'failNext'));
        }
        if (!planned && rate.rate > 0 && rate.rng() < rate.rate) {
          if (rate.refuseShare > 0 && rate.rng() < rate.refuseShare) return refuse('random');
          const status = rate.statuses[Math.floor(rate.rng() * rate.statuses.length) % rate.statuses.length];
          return finish(failure({ status, retryAfter: rate.retryAfter }, 'random'));
        }

        const ctx = {
          request,
          url,
          bytes,
          record,
          method: request.method,
          path: url.pathname,
          query: record.query,
          headers: request.headers,
          body: record.body,
          accept(entry) {
            fake.accepted.push(entry);
            record.accepted = true;
          },
          reject(error) {
            record.error = error;
          },
          summary(s) {
            record.summary = s;
          },
        };
        const reply = await process(ctx);
        if (reply.status >= 400 && !record.error) record.error = JSON.stringify(reply.body);
        if (planned) {
          // afterProcessing: the vendor stored it, then the answer was lost/failed.
          if (planned.delayMs) await sleep(planned.delayMs, request.signal);
          if (planned.refuse) return refuse('afterProcessing');
          return finish(failure(planned, 'afterProcessing'));
        }
        return finish(reply);
      }
    },
  };
  return fake;
}

/**
 * Sliding windows over admitted requests plus parallel requests in flight. A rule: { name, max, windowMs, key }
 * (requests per window) or { name, max, parallel: true, key }; `key(record)` names its bucket (e.g. the endpoint or
 * the API key), or null when the rule does not apply to this request.
 */
export function createLimiter(rules) {
  const buckets = new Map(); // `${rule}\u0000${key}` → admitted times (window) or { n } (parallel)
  return {
    clear: () => buckets.clear(),
    admit(record, now) {
      const taken = [];
      for (const rule of rules) {
        const key = rule.key ? rule.key(record) : '';
        if (key === null || key === undefined) continue;
        const id = `${rule.name}\u0000${key}`;
        if (rule.parallel) {
          const b = buckets.get(id) ?? { n: 0 };
          buckets.set(id, b);
          if (b.n >= rule.max) return { ok: false, rule: rule.name, retryAfter: 1 };
          taken.push(() => b.n++);
          continue;
        }
        const times = buckets.get(id) ?? [];
        buckets.set(id, times);
        while (times.length && times[0] <= now - rule.windowMs) times.shift();
        if (times.length >= rule.max) {
          return {
            ok: false,
            rule: rule.name,
            retryAfter: Math.max(1, Math.ceil((times[0] + rule.windowMs - now) / 1000)),
          };
        }
        taken.push(() => times.push(now));
      }
      // Counted only once every rule admitted the request.
      for (const take of taken) take();
      const parallel = rules
        .filter((r) => r.parallel)
        .map((r) => [r, r.key ? r.key(record) : ''])
        .filter(([, key]) => key !== null && key !== undefined)
        .map(([r, key]) => buckets.get(`${r.name}\u0000${key}`));
      return {
        ok: true,
        done() {
          for (const b of parallel) b.n--;
        },
      };
    },
  };
}

/**
 * Adapt `handler(request) → Response` to a node:http `(req, res)` listener. A thrown error (simulated refusal)
 * destroys the socket, so the client sees a dropped connection. Miniflare's node services pass the real target in
 * the `MF-Original-URL` header; miniflare's own `MF-*` headers are dropped.
 */
export function toNodeListener(handler, fallbackHost = '127.0.0.1') {
  return async (req, res) => {
    try {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = chunks.length && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!/^mf-/i.test(req.rawHeaders[i])) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      }
      const original = req.headers['mf-original-url'];
      const url = typeof original === 'string' ? original : `http://${req.headers.host ?? fallbackHost}${req.url}`;
      const ac = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) ac.abort();
      });
      const response = await handler(new Request(url, { method: req.method, headers, body, signal: ac.signal }));
      const out = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(out);
    } catch {
      req.socket.destroy();
    }
  };
}

/** Serve `handler(request) → Response` on node:http. Resolves to { server, port, url, close() }. */
export function listen(handler, { host = '127.0.0.1', port = 0 } = {}) {
  return listenNode(toNodeListener(handler, `${host}:${port}`), { host, port });
}

/** Serve a node:http `(req, res)` listener. Resolves to { server, port, url, close() }. */
export function listenNode(listener, { host = '127.0.0.1', port = 0 } = {}) {
  const server = http.createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        server,
        port: actual,
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
