// Node side of `http://fakes.control/…`: lets tests running inside workerd read and steer the fake vendors.
//   GET  /<vendor>/received | /<vendor>/accepted | /<vendor>/state
//   POST /<vendor>/failNext {n, ...opts} | /<vendor>/failureRate {rate, seed, ...opts} | /<vendor>/down {down}
//   POST /reset
type Fake = {
  received: unknown[];
  accepted: unknown[];
  failNext(n: number, opts?: Record<string, unknown>): void;
  setFailureRate(rate: number, opts?: Record<string, unknown>): void;
  down(on: boolean): void;
  reset(): void;
  [extra: string]: unknown;
};
type Fakes = { reset(): void };

/** A small seeded PRNG so random failure runs are repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const toJson = (x: unknown) =>
  JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v)));

export async function controlFakes(fakes: Fakes, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const [name, action] = url.pathname.split('/').filter(Boolean);
  if (name === 'reset') {
    fakes.reset();
    return Response.json({ ok: true });
  }
  const fake = (fakes as unknown as Record<string, Fake | undefined>)[name ?? ''];
  if (!fake || typeof fake !== 'object') return Response.json({ error: `no fake ${name}` }, { status: 404 });
  const body = request.method === 'POST' ? ((await request.json().catch(() => ({}))) as Record<string, unknown>) : {};
  switch (action) {
    case 'received':
      return Response.json(toJson(fake.received));
    case 'accepted':
      return Response.json(toJson(fake.accepted));
    case 'state':
      return Response.json(toJson(Object.fromEntries(Object.entries(fake).filter(([, v]) => typeof v !== 'function'))));
    case 'failNext':
      fake.failNext(Number(body.n ?? 1), body);
      return Response.json({ ok: true });
    case 'failureRate': {
      const { rate, seed, ...opts } = body;
      fake.setFailureRate(Number(rate), { ...opts, rng: mulberry32(Number(seed ?? 1)) });
      return Response.json({ ok: true });
    }
    case 'down':
      fake.down(Boolean(body.down ?? true));
      return Response.json({ ok: true });
    default:
      return Response.json({ error: `no action ${action}` }, { status: 404 });
  }
}
