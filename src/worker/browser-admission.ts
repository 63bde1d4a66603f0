// What `POST /o` accepts (README "Threat model"): a thank-you page can only know that an order was placed or paid;
// a refund from the browser needs the shop's signed token, and every other status comes from the back office.
// A valid token overrules the page: status, total and currency become what the shop signed.
import { type Env, flag } from './env';
import type { EventInput } from './event';
import { HttpError } from './http';
import { verifyOrderToken } from './signature';

const PAGE_STATUSES: ReadonlySet<string> = new Set(['created', 'paid', 'refunded']);

export async function admitBrowserEvent(env: Env, event: EventInput, token: unknown, now: number): Promise<EventInput> {
  if (!PAGE_STATUSES.has(event.status))
    throw new HttpError(
      400,
      'status_not_allowed',
      `A thank-you page cannot know "${event.status}": send it from the back office (POST /v1/events)`,
    );
  const required = flag(env.REQUIRE_SIGNATURE);
  const check =
    env.SIGNING_SECRET && (required || token)
      ? await verifyOrderToken(env.SIGNING_SECRET, event.order_id, token, now)
      : undefined;
  if (required && !env.SIGNING_SECRET)
    // Without a secret no token can be valid: refuse (and never hand crypto an empty key).
    throw new HttpError(401, 'invalid_signature', 'Order tokens cannot be checked: SIGNING_SECRET is not set');
  if (required && check && !check.ok) throw new HttpError(401, 'invalid_signature', `Order token ${check.reason}`);
  if (!check?.ok) {
    // Unsigned (or, with signing optional, a token that does not verify): an order placed or paid only.
    if (event.status === 'refunded')
      throw new HttpError(401, 'invalid_signature', 'A refund from the page needs a signed order token');
    return event;
  }
  const { claims } = check;
  if ((claims.status === 'refunded') !== (event.status === 'refunded'))
    throw new HttpError(401, 'invalid_signature', `The order token signs "${claims.status}", not "${event.status}"`);
  return { ...event, status: claims.status, total: Number(claims.total), currency: claims.currency };
}
