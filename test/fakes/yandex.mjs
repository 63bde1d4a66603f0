// Fake Yandex Metrica CDP "simplified orders" upload, written from
// https://yandex.ru/dev/metrika/en/management/openapi/schema/uploadSimpleOrders and docs/vendors/yandex-metrica.md (the JSON
// method is "no longer supported"): POST /cdp/api/v1/counter/{id}/data/simple_orders, multipart CSV part `file`.
import { createFakeBase, json, matchPath } from './common.mjs';

const yErr = (code, type, message, headers) =>
  json(code, { errors: [{ error_type: type, message }], code, message }, headers);
const COLUMNS = [
  'id',
  'create_date_time',
  'client_uniq_id',
  'client_ids',
  'emails',
  'phones',
  'emails_md5',
  'phones_md5',
  'order_status',
  'revenue',
  'cost',
  'goals',
  'currency',
];
const CLIENT_KEYS = ['client_ids', 'emails', 'phones', 'emails_md5', 'phones_md5'];
const STATUSES = ['PAID', 'IN_PROGRESS', 'CANCELLED', 'SPAM'];
const DELIMITERS = { COMMA: ',', SEMICOLON: ';', TAB: '\t' }; // [I] only COMMA is documented here; absent = COMMA
const list = (re) => (v) => v.split(',').every((x) => re.test(x)); // one quoted cell, comma-separated, no spaces
const CHECKS = {
  create_date_time: validDate,
  client_ids: list(/^\d+$/),
  emails: list(/^[^\sA-Z@,]+@[^\sA-Z@,]+\.[^\sA-Z@,]+$/), // must be lower-case
  phones: list(/^\d{5,15}$/), // digits with country code, e.g. 79995551111
  emails_md5: list(/^[0-9a-f]{32}$/),
  phones_md5: list(/^[0-9a-f]{32}$/),
  revenue: (v) => /^\d+(\.\d+)?$/.test(v),
  cost: (v) => /^\d+(\.\d+)?$/.test(v),
  goals: list(/^[\w-]+(:\d+(\.\d+)?)?$/),
  currency: (v) => /^[A-Z]{3}$/.test(v),
};

/** yyyy-MM-dd[ HH:mm[:ss]] or dd.MM.yyyy / dd.MM.yy[ HH:mm[:ss]], a real calendar date, not before 1970. */
function validDate(v) {
  const m = /^(?:(\d{4})-(\d{2})-(\d{2})|(\d{2})\.(\d{2})\.(\d{2}|\d{4}))(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (!m) return false;
  let [y, mo, d] = m[1] ? [+m[1], +m[2], +m[3]] : [+m[6], +m[5], +m[4]];
  if (m[6]?.length === 2) y += 2000; // [I] two-digit years are 20xx
  const [h = 0, mi = 0, s = 0] = [m[7], m[8], m[9]].map((x) => (x === undefined ? 0 : +x));
  const dt = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return y >= 1970 && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/** RFC 4180 CSV → array of rows (arrays of cells); throws on an unterminated or misplaced quote. */
export function parseCsv(text, delim = ',') {
  const rows = [];
  let row = [],
    cell = '',
    i = 0,
    quoted = false,
    wasQuoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
    wasQuoted = false;
  };
  const endRow = () => {
    endCell();
    rows.push(row);
    row = [];
  };
  for (text = text.replace(/^\uFEFF/, ''); i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') {
      if (cell !== '' || wasQuoted) throw new Error(`stray quote in row ${rows.length + 1}`);
      quoted = wasQuoted = true;
    } else if (c === delim) endCell();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else if (wasQuoted) throw new Error(`text after a closing quote in row ${rows.length + 1}`);
    else cell += c;
  }
  if (quoted) throw new Error('unterminated quoted cell');
  if (cell !== '' || row.length || wasQuoted) endRow();
  return rows.filter((r) => !(r.length === 1 && r[0] === '')); // blank lines
}

/** Validate parsed rows against the documented columns; returns { rows: objects, errors: strings }. */
function validateCsv(table, goalIds) {
  const [header = [], ...data] = table;
  const errors = [];
  const unknown = header.filter((h) => !COLUMNS.includes(h));
  if (unknown.length) errors.push(`unknown columns: ${unknown.join(', ')}`);
  if (new Set(header).size !== header.length) errors.push('duplicate columns');
  for (const need of ['id', 'create_date_time']) if (!header.includes(need)) errors.push(`missing column ${need}`);
  if (!CLIENT_KEYS.some((k) => header.includes(k))) errors.push(`need one of ${CLIENT_KEYS.join(', ')}`);
  if (data.length === 0) errors.push('no rows');
  const rows = data.map((cells, n) => {
    const line = n + 2;
    if (cells.length !== header.length) errors.push(`line ${line}: ${cells.length} cells, header has ${header.length}`);
    const r = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
    if (!r.id) errors.push(`line ${line}: empty id`);
    if (!r.create_date_time) errors.push(`line ${line}: empty create_date_time`);
    if (!CLIENT_KEYS.some((k) => r[k])) errors.push(`line ${line}: no client identifier`);
    for (const [k, ok] of Object.entries(CHECKS))
      if (r[k] && !ok(r[k])) errors.push(`line ${line}: bad ${k} "${r[k]}"`);
    // [I] "or a goal id": only the goal ids configured in the fake count, so a typo such as CANCELED fails.
    if (r.order_status && !STATUSES.includes(r.order_status) && !goalIds.includes(r.order_status)) {
      errors.push(`line ${line}: bad order_status "${r.order_status}"`);
    }
    return r;
  });
  return { rows, errors };
}

/**
 * Rate-limit mode (fake.rateLimits()), from https://yandex.com/dev/metrika/en/intro/quotas: 30 requests/s from one IP
 * (all the relay's requests come from one here), 3 parallel requests per user (the OAuth token). The 5,000 requests
 * a day per user are enforced always (dailyQuota). 429 as the Russian page says (the English one says 420).
 */
export const LIMITS = [
  { name: 'ip-second', max: 30, windowMs: 1000, key: () => 'ip' },
  { name: 'parallel-per-user', max: 3, parallel: true, key: (r) => r.headers.authorization ?? '' },
];

/** createFake({ token, counterId, dailyQuota = 5000, goalIds = [], timeZone, now }) → fake Yandex Metrica CDP. */
export function createFake({
  token = 'test-yandex-token',
  counterId = '12345678',
  dailyQuota = 5000,
  goalIds = [],
  timeZone = 'Europe/Moscow',
  now = Date.now,
} = {}) {
  let uploadSeq = 0,
    quotaDay = '',
    quotaUsed = 0;
  const orders = new Map(); // id → latest row (object keyed by column)
  const failedUploads = [];

  const fake = createFakeBase({
    name: 'yandex',
    limits: LIMITS,
    errorBody: (status) => ({
      errors: [{ error_type: 'backend_error', message: 'Injected failure' }],
      code: status,
      message: 'Injected failure',
    }),
    onReset() {
      orders.clear();
      failedUploads.length = 0;
      fake.uploads = 0;
      uploadSeq = 0;
      quotaUsed = 0;
    },
    async process(ctx) {
      const up = matchPath(ctx.path, '/cdp/api/v1/counter/(\\d+)/data/simple_orders');
      const info = matchPath(ctx.path, '/management/v1/counter/(\\d+)');
      if (!up && !info) return yErr(404, 'not_found', 'Not found');
      if (ctx.headers.get('authorization') !== `OAuth ${token}`)
        return yErr(401, 'invalid_token', 'Invalid oauth_token');
      if ((up ?? info)[0] !== String(counterId)) return yErr(403, 'access_denied', 'Access is denied');
      const day = new Date(now()).toISOString().slice(0, 10);
      if (day !== quotaDay) {
        quotaDay = day;
        quotaUsed = 0;
      }
      if (++quotaUsed > dailyQuota) {
        const toMidnight = Math.ceil((Date.parse(`${day}T00:00:00Z`) + 86400000 - now()) / 1000);
        return yErr(429, 'quota_requests_by_uid', 'Quota exceeded: 5000 requests per day', {
          'retry-after': String(toMidnight),
        });
      }
      if (info) {
        if (ctx.method !== 'GET') return yErr(405, 'invalid_parameter', 'Method not allowed');
        return json(200, { counter: { id: Number(counterId), time_zone_name: timeZone } });
      }
      if (ctx.method !== 'POST') return yErr(405, 'invalid_parameter', 'Method not allowed');
      const mode = ctx.query.merge_mode;
      if (!['SAVE', 'UPDATE', 'APPEND'].includes(mode))
        return yErr(400, 'invalid_parameter', 'merge_mode must be SAVE, UPDATE or APPEND');
      const delim = DELIMITERS[ctx.query.delimiter_type ?? 'COMMA'];
      if (!delim) return yErr(400, 'invalid_parameter', 'Unknown delimiter_type');
      const ct = ctx.headers.get('content-type') ?? '';
      if (!/^multipart\/form-data;.*boundary=/i.test(ct))
        return yErr(400, 'invalid_parameter', 'Expected multipart/form-data');
      let file;
      try {
        file = (await new Response(ctx.bytes, { headers: { 'content-type': ct } }).formData()).get('file');
      } catch {
        return yErr(400, 'invalid_parameter', 'Malformed multipart body');
      }
      // [I] a part without a filename is a plain form field, not a file (as in Spring's MultipartFile binding).
      if (!file || typeof file === 'string')
        return yErr(400, 'invalid_parameter', "Required request part 'file' is not present");
      let table, errors;
      try {
        table = parseCsv(await file.text(), delim);
      } catch (e) {
        errors = [`CSV: ${e.message}`];
      }
      const checked = table ? validateCsv(table, goalIds) : { rows: [], errors };
      const uploading = {
        uploading_id: String(++uploadSeq),
        datetime: new Date(now()).toISOString().slice(0, 19).replace('T', ' '),
        api_validation_status: checked.errors.length ? 'FAILED' : 'PASSED',
        elements_count: checked.rows.length,
        entity_type: 'ORDER',
        uploading_format: 'CSV',
        uploading_source: 'API',
      };
      if (checked.errors.length) {
        failedUploads.push({ merge_mode: mode, errors: checked.errors, csv: table });
        ctx.reject(`validation FAILED: ${checked.errors.slice(0, 3).join('; ')}`);
        ctx.summary(`upload ${mode} FAILED ${checked.errors[0]}`);
        return json(200, { uploading });
      }
      for (const r of checked.rows) {
        const old = orders.get(r.id);
        if (mode === 'SAVE' || !old)
          orders.set(r.id, r); // SAVE replaces the order with the same id
        else if (mode === 'UPDATE')
          orders.set(r.id, { ...old, ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')) });
        // [I] APPEND keeps an existing order untouched.
      }
      fake.uploads++;
      ctx.accept({ merge_mode: mode, rows: checked.rows });
      ctx.summary(
        `upload ${mode} ${checked.rows.length} rows: ${checked.rows
          .slice(0, 5)
          .map((r) => `${r.id}:${r.order_status || 'PAID'}`)
          .join(' ')}`,
      );
      return json(200, { uploading });
    },
  });
  return Object.assign(fake, { orders, failedUploads, uploads: 0 });
}
