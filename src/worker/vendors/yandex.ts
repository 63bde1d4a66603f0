// Yandex Metrica CDP, simplified order upload: https://yandex.ru/dev/metrika/en/management/openapi/schema/uploadSimpleOrders
// and https://yandex.com/dev/metrika/en/data-import/simple-orders-data (docs/vendors/yandex-metrica.md; the JSON
// method is "no longer supported"). A multipart CSV part `file`, one row per order in its latest state;
// merge_mode=SAVE replaces an order with the same id, so re-uploading a whole order is the idempotent update.
import type { Customer } from '../event';
import type { FoldedOrder } from '../order';
import { classifyHttp, str, trimSlash, truncate } from './http';
import type { Classified, Plan, Skip, Vendor, VendorRequest, VendorResponse } from './types';

export const YANDEX_METRICA_BASE_URL = 'https://api-metrika.yandex.net';
export const YANDEX_METRICA_TIMEZONE = 'Europe/Moscow';
/** Rows per upload. The file may reach 1 GB, but 5,000 API requests per day is the scarce resource. */
export const MAX_ROWS = 5000;
/** One header for every file: every column we can fill, empty cells where an order has no value. */
export const COLUMNS = [
  'id',
  'create_date_time',
  'client_uniq_id',
  'client_ids',
  'emails',
  'phones',
  'order_status',
  'revenue',
  'currency',
] as const;

export type YandexConfig = { baseUrl: string; counterId: string; token: string; timeZone: string };
type Column = (typeof COLUMNS)[number];
const HEADER = `${COLUMNS.join(',')}\n`;
export type YandexRow = Record<Column, string>;

/** PAID is created + paid; no refund status exists, so a full refund counts as a cancellation. */
const ORDER_STATUS = {
  created: 'IN_PROGRESS',
  paid: 'PAID',
  delivered: 'PAID',
  refunded: 'CANCELLED',
  cancelled: 'CANCELLED',
} as const;

/** `yyyy-MM-dd HH:mm:ss` in the counter's time zone (create_date_time is read in it and cannot be changed later). */
// Building a DateTimeFormat is far dearer than using one: one per time zone, kept for the isolate.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** en-US with h23 prints `MM/dd/yyyy, HH:mm:ss`: one regex over format() is cheaper than formatToParts(). */
const EN_US = /^(\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

/** The Intl path: what the per-minute cache below is filled from. */
export function formatDateTimeIntl(unixSeconds: number, timeZone: string): string {
  const date = new Date(unixSeconds * 1000);
  const m = EN_US.exec(formatterFor(timeZone).format(date));
  if (m) return `${m[3]}-${m[1]}-${m[2]} ${m[4]}:${m[5]}:${m[6]}`;
  // Another ICU spelling: read it part by part.
  const parts = formatterFor(timeZone).formatToParts(date);
  const p = (type: Intl.DateTimeFormatPartTypes) => parts.find((x) => x.type === type)?.value ?? '00';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')}`;
}

// Since 1972 every UTC offset and every DST change in the tz database falls on a whole minute (the schema starts at
// 2000), so the `yyyy-MM-dd HH:mm:` of a minute holds for each of its seconds. A flush uploads the orders of the
// last minute or so: one Intl call per time zone and minute instead of one per row. Bounded: cleared when full.
const minutePrefixes = new Map<string, string>();
const MAX_PREFIXES = 4096;

export function formatDateTime(unixSeconds: number, timeZone: string): string {
  if (!Number.isInteger(unixSeconds)) return formatDateTimeIntl(unixSeconds, timeZone);
  const second = ((unixSeconds % 60) + 60) % 60;
  const minute = unixSeconds - second;
  const key = `${timeZone} ${minute}`;
  let prefix = minutePrefixes.get(key);
  if (prefix === undefined) {
    if (minutePrefixes.size >= MAX_PREFIXES) minutePrefixes.clear();
    prefix = formatDateTimeIntl(minute, timeZone).slice(0, -2);
    minutePrefixes.set(key, prefix);
  }
  return second < 10 ? `${prefix}0${second}` : `${prefix}${second}`;
}

/** A plain decimal (never exponent notation), at most 4 places, no trailing zeros. */
export function formatDecimal(x: number): string {
  const s = x.toFixed(4);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** RFC 4180: quote a cell holding a delimiter, a quote or a line break; double the quotes inside. */
export const csvCell = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** Digits with the country code (79995551111); the E.164 length bounds keep a typo from failing the whole file. */
function phoneDigits(phone: string | undefined): string {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 5 && digits.length <= 15 ? digits : '';
}

/** The CSV row of an order in its latest state, or null when it has none of client_ids / emails / phones. */
export function toYandexRow(order: FoldedOrder, timeZone: string): YandexRow | null {
  const c: Customer = order.customer;
  const row: YandexRow = {
    id: order.order_id,
    create_date_time: formatDateTime(order.created_at, timeZone),
    client_uniq_id: c.id ?? '',
    client_ids: c.ym_client_id ?? '',
    emails: c.email?.toLowerCase() ?? '', // the docs ask for lower case
    phones: phoneDigits(c.phone),
    // A partial refund or cancellation leaves the state as it was (created/paid) with the revenue reduced.
    order_status: ORDER_STATUS[order.state],
    revenue: formatDecimal(order.total),
    currency: order.currency,
  };
  return row.client_ids || row.emails || row.phones ? row : null;
}

/** FNV-1a, 32 bits, as 8 hex digits: a deterministic boundary so golden fixtures are exact. */
function fnv1a(text: string, seed = 0x811c9dc5): string {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The multipart/form-data body with one part `file` (orders.csv) and its boundary. */
export function toMultipart(csv: string, keys: readonly string[]): { boundary: string; body: string } {
  const seed = keys.join('\n');
  let boundary = `order-relay-${fnv1a(seed)}${fnv1a(seed, 0x9dc5811c)}`;
  // A boundary must not occur in the content; a CSV of order ids and emails will not hold one, but be sure.
  while (csv.includes(boundary)) boundary += fnv1a(boundary).slice(0, 4);
  const body = [
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="orders.csv"',
    'Content-Type: text/csv',
    '',
    csv,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { boundary, body };
}

function request(config: YandexConfig, rows: readonly YandexRow[], keys: string[]): VendorRequest {
  let csv = HEADER;
  for (const r of rows) {
    csv += COLUMNS.map((column) => csvCell(r[column])).join(',');
    csv += '\n';
  }
  const { boundary, body } = toMultipart(csv, keys);
  return {
    method: 'POST',
    url: `${config.baseUrl}/cdp/api/v1/counter/${config.counterId}/data/simple_orders?merge_mode=SAVE&delimiter_type=COMMA`,
    headers: { Authorization: `OAuth ${config.token}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body,
    keys,
  };
}

function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** 200 with `uploading.api_validation_status: FAILED` is a refused file; everything else is read by its HTTP status. */
export function classifyYandex(res: VendorResponse): Classified {
  if (res.status === 200) {
    let status: unknown;
    try {
      status = (JSON.parse(res.body) as { uploading?: { api_validation_status?: unknown } }).uploading
        ?.api_validation_status;
    } catch {
      /* not JSON: the HTTP status decides */
    }
    if (status === 'FAILED') return { outcome: 'rejected', detail: truncate(`${res.status} ${res.body}`) };
  }
  // The quota page says 429 in Russian and 420 in English: both mean "over quota, come back later".
  if (res.status === 420)
    return { ...classifyHttp({ ...res, status: 429 }), detail: truncate(`${res.status} ${res.body}`.trim()) };
  return classifyHttp(res);
}

export const yandex: Vendor<YandexConfig> = {
  // The pipeline reads `${name.toUpperCase()}_BATCH` / `_MAX_ROWS`: YANDEX_BATCH, YANDEX_MAX_ROWS.
  name: 'yandex',
  label: 'Yandex Metrica',
  mode: 'flush',
  // The rows carry e-mails and phones for a third party to link to visits: the same key as MyTracker's.
  consentKey: 'ad_user_data',
  secrets: ['YANDEX_METRICA_TOKEN'],

  parseConfig(env) {
    const counterId = str(env, 'YANDEX_METRICA_COUNTER_ID');
    const token = str(env, 'YANDEX_METRICA_TOKEN');
    const timeZone = str(env, 'YANDEX_METRICA_TIMEZONE') ?? YANDEX_METRICA_TIMEZONE;
    // A wrong time zone would store wrong, unchangeable create_date_time values: better disabled than wrong.
    if (!counterId || !/^\d+$/.test(counterId) || !token || !validTimeZone(timeZone)) return null;
    return {
      counterId,
      token,
      timeZone,
      baseUrl: trimSlash(str(env, 'YANDEX_METRICA_BASE_URL') ?? YANDEX_METRICA_BASE_URL),
    };
  },

  /**
   * One row per order (work items of one order share its folded state), each request covering every work key of
   * its orders.
   */
  plan(work, config): Plan {
    const skipped: Skip[] = [];
    const orders = new Map<string, { row: YandexRow; keys: string[] }>();
    for (const w of work) {
      const hit = orders.get(w.order.order_id);
      if (hit) {
        hit.keys.push(w.event.key);
        continue;
      }
      const row = toYandexRow(w.order, config.timeZone);
      if (row) orders.set(w.order.order_id, { row, keys: [w.event.key] });
      else skipped.push({ key: w.event.key, reason: 'no_identifier' });
    }
    const list = [...orders.values()];
    const requests: VendorRequest[] = [];
    for (let i = 0; i < list.length; i += MAX_ROWS) {
      const chunk = list.slice(i, i + MAX_ROWS);
      requests.push(
        request(
          config,
          chunk.map((o) => o.row),
          chunk.flatMap((o) => o.keys),
        ),
      );
    }
    return { requests, skipped };
  },

  classify: classifyYandex,

  checkRequest(config) {
    return {
      method: 'GET',
      url: `${config.baseUrl}/management/v1/counter/${config.counterId}`,
      headers: { Authorization: `OAuth ${config.token}` },
      body: '',
      keys: [],
    };
  },
};
