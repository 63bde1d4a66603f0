// `POST /o` with a browse envelope (./normalize.ts): validated whole, then one message on the browse queue and a
// 202. The route's origin allow-list, media type, rate limit and 16 KB cap have already applied (../ingest.ts).
// Browse events carry no order id, so REQUIRE_SIGNATURE does not apply to them.
import * as v from 'valibot';
import { defaultCurrency, type Env } from '../env';
import { toIssues } from '../event';
import { HttpError, json } from '../http';
import { type BrowseEvent, BrowseEventSchema } from './event';
import { fromBrowseEnvelope } from './normalize';

export { isBrowseBody } from './normalize';

/** The canonical browse event of an envelope received at `now` (ms), or a 400 naming what is wrong. */
export function parseBrowse(body: unknown, env: Env, now: number): BrowseEvent {
  const draft = fromBrowseEnvelope(body);
  draft.occurred_at = Math.floor(now / 1000);
  draft.currency ??= defaultCurrency(env);
  const parsed = v.safeParse(BrowseEventSchema, draft);
  if (!parsed.success)
    throw new HttpError(400, 'invalid_event', 'The browse event does not match the schema', toIssues(parsed.issues));
  return parsed.output;
}

export async function ingestBrowse(body: unknown, env: Env, now: number): Promise<Response> {
  const event = parseBrowse(body, env, now);
  if (!env.BROWSE)
    throw new HttpError(503, 'unavailable', 'Browse events are not configured here (no BROWSE queue binding)');
  try {
    await env.BROWSE.send({ browse: event }, { contentType: 'json' });
  } catch {
    throw new HttpError(503, 'unavailable', 'The event could not be queued. Retry later.', undefined, {
      'retry-after': '5',
    });
  }
  return json({ accepted: 1, type: event.type }, 202);
}
