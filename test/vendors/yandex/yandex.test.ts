// Yandex Metrica beyond the golden fixtures: classify (FAILED validation inside a 200), config, the row cap and
// the multipart body as a real multipart parser reads it.
import { describe, expect, it } from 'vitest';
import { buildWork } from '../../../src/worker/deliver';
import { parseEventInput } from '../../../src/worker/event';
import { toCanonicalEvent } from '../../../src/worker/event-key';
import { MAX_ROWS, toMultipart, yandex, type YandexConfig } from '../../../src/worker/vendors/yandex';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });
const uploading = (status: string) => JSON.stringify({ uploading: {
  uploading_id: '1', datetime: '2026-01-01 00:00:00', api_validation_status: status, elements_count: 1,
  entity_type: 'ORDER', uploading_format: 'CSV', uploading_source: 'API' } });
const CONFIG: YandexConfig = { baseUrl: 'https://api-metrika.yandex.net', counterId: '12345678', token: 'test-yandex-token', timeZone: 'Europe/Moscow' };

describe('yandex.classify', () => {
  it.each([
    [200, uploading('PASSED'), {}, 'delivered', undefined],
    [200, uploading('FAILED'), {}, 'rejected', undefined],
    [400, '{"errors":[{"error_type":"invalid_parameter","message":"Expected multipart/form-data"}],"code":400}', {}, 'rejected', undefined],
    [401, '{"errors":[{"error_type":"invalid_token","message":"Invalid oauth_token"}],"code":401}', {}, 'rejected', undefined],
    [429, '{"errors":[{"error_type":"quota_requests_by_uid","message":"Quota exceeded"}],"code":429}', { 'retry-after': '3600' }, 'retry', 3600],
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
    expect(yandex.parseConfig({ ...base, YANDEX_METRICA_TIMEZONE: 'Asia/Yekaterinburg' })?.timeZone).toBe('Asia/Yekaterinburg');
  });

  it('is the flush vendor the pipeline reads YANDEX_BATCH / YANDEX_MAX_ROWS for', () => {
    expect(yandex.name).toBe('yandex');
    expect(yandex.mode).toBe('flush');
    expect(yandex.secrets).toStrictEqual(['YANDEX_METRICA_TOKEN']);
    expect(yandex.checkRequest?.(CONFIG)).toMatchObject({
      method: 'GET', url: 'https://api-metrika.yandex.net/management/v1/counter/12345678', headers: { Authorization: 'OAuth test-yandex-token' }, keys: [],
    });
  });
});

describe('yandex.plan', () => {
  it(`uploads at most ${MAX_ROWS} rows per request`, async () => {
    const events = await Promise.all(Array.from({ length: MAX_ROWS + 1 }, (_, i) => {
      const parsed = parseEventInput({ order_id: `R-${i}`, status: 'paid', occurred_at: 1767225600, total: 1, customer: { email: `c${i}@example.com` } });
      if (!parsed.ok) throw new Error('bad event');
      return toCanonicalEvent(parsed.value, { source: 'server', received_at: 1767225600 }, 'EUR');
    }));
    const plan = yandex.plan(buildWork(events.map((e) => e.key), events, new Map()), CONFIG);
    expect(plan.requests.map((r) => r.keys.length)).toStrictEqual([MAX_ROWS, 1]);
    const rows = (body: string) => body.split('\r\n')[4]!.trimEnd().split('\n').length - 1;
    expect(plan.requests.map((r) => rows(r.body))).toStrictEqual([MAX_ROWS, 1]);
  });

  it('builds a multipart body that a multipart parser reads as one CSV file part named `file`', async () => {
    const csv = 'id,create_date_time,emails\n"A,1",2026-01-01 03:00:00,ä@example.com\n';
    const { boundary, body } = toMultipart(csv, ['A%2C1:paid']);
    const form = await new Request('https://x.example/', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body }).formData();
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
