// Yandex Metrica beyond the golden fixtures: classify (FAILED validation inside a 200), config, the row cap and
// the multipart body as a real multipart parser reads it.
import { describe, expect, it } from 'vitest';
import { buildWork } from '../../../src/worker/deliveries/send';
import { parseEventInput } from '../../../src/worker/event';
import { toCanonicalEvent } from '../../../src/worker/event-key';
import {
  formatDateTime,
  formatDateTimeIntl,
  MAX_ROWS,
  toMultipart,
  type YandexConfig,
  yandex,
} from '../../../src/worker/vendors/yandex';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });
const uploading = (status: string) =>
  JSON.stringify({
    uploading: {
      uploading_id: '1',
      datetime: '2026-01-01 00:00:00',
      api_validation_status: status,
      elements_count: 1,
      entity_type: 'ORDER',
      uploading_format: 'CSV',
      uploading_source: 'API',
    },
  });
const CONFIG: YandexConfig = {
  baseUrl: 'https://api-metrika.yandex.net',
  counterId: '12345678',
  token: 'test-yandex-token',
  timeZone: 'Europe/Moscow',
};

describe('yandex.classify', () => {
  it.each([
    [200, uploading('PASSED'), {}, 'delivered', undefined],
    [200, uploading('FAILED'), {}, 'rejected', undefined],
    [
      400,
      '{"errors":[{"error_type":"invalid_parameter","message":"Expected multipart/form-data"}],"code":400}',
      {},
      'rejected',
      undefined,
    ],
    [
      401,
      '{"errors":[{"error_type":"invalid_token","message":"Invalid oauth_token"}],"code":401}',
      {},
      'rejected',
      undefined,
    ],
    [
      429,
      '{"errors":[{"error_type":"quota_requests_by_uid","message":"Quota exceeded"}],"code":429}',
      { 'retry-after': '3600' },
      'retry',
      3600,
    ],
    [420, '{"errors":[{"error_type":"quota_requests_by_uid"}]}', {}, 'retry', undefined],
    [503, 'Service Unavailable', {}, 'retry', undefined],
  ] as const)('%i %s → %s', (status, body, headers, outcome, retryAfter) => {
    const c = yandex.classify(res(status, body, headers));
    expect(c.outcome).toBe(outcome);
    expect(c.retryAfter).toBe(retryAfter);
    expect(c.detail).toBe(`${status} ${body}`.trim());
  });
});

describe('yandex.parseConfig', () => {
  const base = { YANDEX_METRICA_COUNTER_ID: '12345678', YANDEX_METRICA_TOKEN: 'test-yandex-token' };
  it('needs a numeric counter id, the token and a real time zone', () => {
    expect(yandex.parseConfig(base)).toStrictEqual(CONFIG);
    expect(yandex.parseConfig({ YANDEX_METRICA_TOKEN: 'test-yandex-token' })).toBeNull();
    expect(yandex.parseConfig({ ...base, YANDEX_METRICA_COUNTER_ID: 'counter-1' })).toBeNull();
    expect(yandex.parseConfig({ ...base, YANDEX_METRICA_TOKEN: '' })).toBeNull();
    // A wrong zone would store wrong, unchangeable creation times: the vendor stays disabled instead.
    expect(yandex.parseConfig({ ...base, YANDEX_METRICA_TIMEZONE: 'Europe/Moskva' })).toBeNull();
    expect(yandex.parseConfig({ ...base, YANDEX_METRICA_TIMEZONE: 'Asia/Yekaterinburg' })?.timeZone).toBe(
      'Asia/Yekaterinburg',
    );
  });

  it('is the flush vendor the pipeline reads YANDEX_BATCH / YANDEX_MAX_ROWS for', () => {
    expect(yandex.name).toBe('yandex');
    expect(yandex.mode).toBe('flush');
    expect(yandex.secrets).toStrictEqual(['YANDEX_METRICA_TOKEN']);
    expect(yandex.checkRequest?.(CONFIG)).toMatchObject({
      method: 'GET',
      url: 'https://api-metrika.yandex.net/management/v1/counter/12345678',
      headers: { Authorization: 'OAuth test-yandex-token' },
      keys: [],
    });
  });
});

describe('yandex.plan', () => {
  it(`uploads at most ${MAX_ROWS} rows per request`, async () => {
    const events = await Promise.all(
      Array.from({ length: MAX_ROWS + 1 }, (_, i) => {
        const parsed = parseEventInput({
          order_id: `R-${i}`,
          status: 'paid',
          occurred_at: 1767225600,
          total: 1,
          customer: { email: `c${i}@example.com` },
        });
        if (!parsed.ok) throw new Error('bad event');
        return toCanonicalEvent(parsed.value, { source: 'server', received_at: 1767225600 }, 'EUR');
      }),
    );
    const plan = yandex.plan(
      buildWork(
        events.map((e) => e.key),
        events,
        new Map(),
      ),
      CONFIG,
    );
    expect(plan.requests.map((r) => r.keys.length)).toStrictEqual([MAX_ROWS, 1]);
    const rows = (body: string) => body.split('\r\n')[4]!.trimEnd().split('\n').length - 1;
    expect(plan.requests.map((r) => rows(r.body))).toStrictEqual([MAX_ROWS, 1]);
  });

  it('builds a multipart body that a multipart parser reads as one CSV file part named `file`', async () => {
    const csv = 'id,create_date_time,emails\n"A,1",2026-01-01 03:00:00,ä@example.com\n';
    const { boundary, body } = toMultipart(csv, ['A%2C1:paid']);
    const form = await new Request('https://x.example/', {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    }).formData();
    const file = form.get('file');
    expect(file).toBeInstanceOf(File);
    expect((file as File).name).toBe('orders.csv');
    expect((file as File).type).toBe('text/csv');
    expect(await (file as File).text()).toBe(csv);
  });

  it('keeps the boundary deterministic and out of the content', () => {
    const first = toMultipart('id\n1\n', ['k:paid']);
    expect(toMultipart('id\n1\n', ['k:paid'])).toStrictEqual(first);
    expect(toMultipart('id\n1\n', ['k:created']).boundary).not.toBe(first.boundary);
    const clash = toMultipart(`id\n${first.boundary}\n`, ['k:paid']);
    expect(clash.boundary).not.toBe(first.boundary);
    expect(`id\n${first.boundary}\n`.includes(clash.boundary)).toBe(false);
  });
});

describe('formatDateTime', () => {
  // Zones with DST, half-hour and 45-minute offsets, and a 30-minute DST shift (Lord Howe).
  const ZONES = [
    'Europe/Moscow',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'America/St_Johns',
    'Pacific/Chatham',
    'UTC',
  ];

  it("reads the docs' format, in the counter's time zone", () => {
    expect(formatDateTime(1767225600, 'Europe/Moscow')).toBe('2026-01-01 03:00:00');
    expect(formatDateTime(1767225659, 'Europe/Moscow')).toBe('2026-01-01 03:00:59');
    expect(formatDateTime(1774746000, 'Europe/Berlin')).toBe('2026-03-29 03:00:00'); // 01:00 UTC: CEST begins
    expect(formatDateTime(1774745999, 'Europe/Berlin')).toBe('2026-03-29 01:59:59');
  });

  it('agrees with the per-call Intl path around every DST change of 2025–2026 and at random seconds', () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (const zone of ZONES) {
      const at: number[] = [];
      // Every offset change in two years, found by hourly steps, then each second around it.
      const offset = (t: number) => formatDateTimeIntl(t, zone);
      for (let t = 1735689600; t < 1798761600; t += 3600) {
        const a = offset(t),
          b = offset(t + 3600);
        const gap = (Date.parse(`${b.replace(' ', 'T')}Z`) - Date.parse(`${a.replace(' ', 'T')}Z`)) / 1000;
        if (gap !== 3600) for (let s = t - 120; s <= t + 3600 + 120; s += 1) at.push(s);
      }
      for (let i = 0; i < 2000; i++) at.push(946684800 + Math.floor(random() * 3_000_000_000));
      for (const t of at) expect(formatDateTime(t, zone), `${zone} ${t}`).toBe(formatDateTimeIntl(t, zone));
    }
  });
});
