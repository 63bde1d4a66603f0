// Browser bodies → canonical event input (docs/page-formats.md). The snippet (src/client) posts the
// RAW dataLayer entry in an envelope; one module per page format maps it. A canonical event posted as is (a shop's
// own script, no envelope) is accepted too, with an optional `token` beside its fields.
//
// The envelope, `POST /o` as text/plain JSON (a contract with every deployed snippet: add keys, never rename):
//   { "v": 1,                         version of this envelope
//     "e": <entry>,                   the dataLayer entry as pushed; gtag() `arguments` as an array
//     "ids": { "lvid"?, "ym"?, "vt"? },  visitor ids: MyTracker lvid (_tmr.getClientID() or cookie tmr_lvid),
//                                     Yandex ClientID (cookie _ym_uid), VTmarketing (cookie _vt_user)
//     "g"?: [[command, …args], …],   every gtag() command but events, in page order: consent (resolved here
//                                     by the visitor's region) and user_data come from these
//     "c"?: { ad_storage?, … },       (snippets before `g`) Consent Mode state merged in page order
//     "u"?: { email?, … },            (snippets before `g`) GA4 user_data from the latest gtag('set', …)
//     "m"?: [{…}, …],                 the object pushes of the entry's container before it, in order: merged
//                                     here into GTM's data model
//     "url": "https://…",             location.href of the page
//     "t"?: "<exp>.<sig>" }           the signed-order token (script data-token, or `token` on the push)
// Page-collected values (ids, c, u) are kept only where valid: a bad cookie never sinks an order.
import * as v from 'valibot';
import { toIssues } from '../event';
import { HttpError } from '../http';
import { classic } from './classic';
import { type Draft, type Extras, type FormatName, invalid, isObject, type Raw } from './common';
import { type Place, resolveConsent, userDataOf } from './consent';
import { ga4 } from './ga4';
import { dataModel } from './model';
import { mytracker } from './mytracker';
import { ua } from './ua';

export type { Draft, Extras, FormatName } from './common';

/**
 * First match wins: UA before GA4, since GTM's UA setups push `{event: 'purchase', ecommerce: {purchase: …}}`; the
 * classic keys before GA4, since MagePal pushes them under `event: 'purchase'`.
 */
const FORMATS = [mytracker, ua, classic, ga4] as const;

export const EnvelopeSchema = v.object({
  v: v.literal(1, 'v: only envelope version 1 is known'),
  e: v.unknown(),
  ids: v.optional(
    v.object({ lvid: v.optional(v.unknown()), ym: v.optional(v.unknown()), vt: v.optional(v.unknown()) }),
  ),
  c: v.optional(v.unknown()),
  g: v.optional(v.unknown()),
  u: v.optional(v.unknown()),
  m: v.optional(v.unknown()),
  url: v.optional(v.string()),
  t: v.optional(v.string()),
});
/** What the snippet sends (it imports this type only). */
export type Envelope = v.InferInput<typeof EnvelopeSchema>;

export type BrowserInput = {
  /** Unvalidated canonical event input: ingest validates it with the one schema. */
  event: unknown;
  token?: unknown;
  pageUrl?: string;
  /** Which page format the entry was (`canonical` when posted without an envelope), for logs. */
  format?: FormatName | 'canonical';
};

const isEnvelope = (body: Raw): boolean => 'v' in body && 'e' in body;

/** gtag('event', 'purchase' | 'refund', params) → `{...params, event}`, the object form GA4 documents. */
function fromGtagArguments(args: unknown[]): Raw {
  const [command, name, params] = args;
  if (command !== 'event' || (name !== 'purchase' && name !== 'refund')) {
    invalid(
      `gtag(${JSON.stringify(command)}, ${JSON.stringify(name)}, …) is not an order: expected gtag('event', 'purchase' | 'refund', {…})`,
    );
  }
  if (params !== undefined && !isObject(params))
    invalid(`gtag('event', '${name}', …): the parameters must be an object`);
  return { ...params, event: name };
}

/** A raw dataLayer entry (an object, or gtag() arguments as an array) → canonical event input and its format. */
export function fromDataLayerEntry(entry: unknown, extras: Extras = {}): { format: FormatName; event: Draft } {
  const x = Array.isArray(entry) ? fromGtagArguments(entry) : entry;
  if (!isObject(x)) invalid('The dataLayer entry must be an object or gtag() arguments');
  const format = FORMATS.find((f) => f.matches(x));
  if (!format) {
    invalid(
      `Not an order entry (event ${JSON.stringify(x.event ?? null)}): expected mt_order, mt_refund, purchase, refund, ecommerce.purchase / ecommerce.refund or transactionId`,
    );
  }
  return { format: format.name, event: format.toEvent(x, extras) };
}

export function fromBrowserBody(body: unknown, place: Place = {}): BrowserInput {
  if (!isObject(body)) throw new HttpError(400, 'invalid_event', 'Body must be a JSON object');
  if (!isEnvelope(body)) {
    const { token, ...event } = body;
    return { event, token, format: 'canonical' };
  }
  const parsed = v.safeParse(EnvelopeSchema, body);
  if (!parsed.success) invalid('The body is not a valid snippet envelope', toIssues(parsed.issues));
  const { e, ids, c, g, u, m, url, t } = parsed.output;
  const consent = resolveConsent(g, place) ?? c;
  const userData = userDataOf(g) ?? u;
  const { format, event } = fromDataLayerEntry(e, { ids, consent, userData, model: dataModel(m) });
  return { event, token: t, pageUrl: url, format };
}
