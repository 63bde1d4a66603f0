// Mapping preview: a canonical event or a raw dataLayer entry (as the snippet posts it) → the exact requests
// each enabled vendor would receive, folded with the order's stored events, secrets masked. Nothing is sent
// and nothing is stored.
import { enabledVendors } from '../config';
import { buildWork, planWork } from '../deliveries/send';
import { vendorCode } from '../deliveries/state';
import { orderEvents, sentEvents } from '../deliveries/store';
import { defaultCurrency, type Env, flag } from '../env';
import { type CanonicalEvent, type Context, parseEventInput } from '../event';
import { toCanonicalEvent } from '../event-key';
import { HttpError } from '../http';
import { fromBrowserBody } from '../normalize';
import { type FoldedOrder, foldOrder } from '../order';
import { VENDORS } from '../vendors';
import type { Skip } from '../vendors/types';
import { type MaskedRequest, maskDeep, maskRequest, maskSecrets, secretsOf } from './mask';

export type VendorPreview = {
  vendor: string;
  label: string;
  mode: 'queue' | 'flush';
  requests: MaskedRequest[];
  skipped: Skip[];
  error?: string;
};

export type Preview = {
  /** The page format the input was read as (`canonical`, `mytracker`, `ga4`, `ua`). */
  format: string;
  event: CanonicalEvent;
  order: FoldedOrder;
  /** Stored events of this order the preview was folded with. */
  stored_events: number;
  /** An event with this key is already stored: ingest would drop this one as a duplicate. */
  duplicate: boolean;
  vendors: VendorPreview[];
  disabled: string[];
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * What the snippet would post for `body`: an envelope or a canonical event as they are, a bare dataLayer entry
 * (gtag() arguments, or an object with neither `order_id` nor `status`) wrapped in an envelope.
 */
export function asBrowserBody(body: unknown): unknown {
  if (Array.isArray(body)) return { v: 1, e: body };
  if (!isObject(body) || ('v' in body && 'e' in body) || 'order_id' in body || 'status' in body) return body;
  return { v: 1, e: body };
}

export async function preview(env: Env, body: unknown, now: number, reveal: boolean): Promise<Preview> {
  const input = fromBrowserBody(asBrowserBody(body));
  const parsed = parseEventInput(input.event);
  if (!parsed.ok) throw new HttpError(400, 'invalid_event', 'The event does not match the schema', parsed.issues);
  const received = Math.floor(now / 1000);
  const context: Context =
    input.format && input.format !== 'canonical'
      ? { source: 'browser', received_at: received, ...(input.pageUrl ? { page_url: input.pageUrl } : {}) }
      : { source: 'server', received_at: received };
  const event = await toCanonicalEvent(parsed.value, context, defaultCurrency(env));
  const stored = await orderEvents(env.DB, [event.order_id]);
  const events = [...stored.filter((e) => e.key !== event.key), event];
  const enabled = enabledVendors(env);
  const secrets = secretsOf(env);
  const consentRequired = flag(env.CONSENT_REQUIRED);
  const vendors = await Promise.all(
    enabled.map(async ({ vendor, config }): Promise<VendorPreview> => {
      const out: VendorPreview = {
        vendor: vendor.name,
        label: vendor.label,
        mode: vendor.mode,
        requests: [],
        skipped: [],
      };
      try {
        const code = vendorCode(vendor.name);
        const sent = code === undefined ? new Map() : await sentEvents(env.DB, code, [event.order_id]);
        const work = buildWork([event.key], events, sent);
        const { plan } = planWork(vendor, config, work, consentRequired);
        out.requests = plan.requests.map((r) => maskRequest(r, secrets, reveal));
        out.skipped = plan.skipped;
      } catch (err) {
        out.error = maskSecrets(err instanceof Error ? err.message : String(err), secrets);
      }
      return out;
    }),
  );
  const names = enabled.map((e) => e.vendor.name);
  return {
    format: input.format ?? 'canonical',
    event: maskDeep(event, reveal),
    order: maskDeep(foldOrder(events), reveal),
    stored_events: stored.length,
    duplicate: stored.some((e) => e.key === event.key),
    vendors,
    disabled: VENDORS.map((v) => v.name).filter((n) => !names.includes(n)),
  };
}
