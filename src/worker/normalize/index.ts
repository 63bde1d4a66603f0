// Browser bodies → canonical event input. The snippet posts an envelope around the raw dataLayer entry; a
// canonical event (as the back office sends it) is accepted too, e.g. from a shop's own script.
import { HttpError } from '../http';

export type BrowserInput = {
  /** Unvalidated canonical event input: ingest validates it with the one schema. */
  event: unknown;
  token?: unknown;
  pageUrl?: string;
};

export function fromBrowserBody(body: unknown): BrowserInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_event', 'Body must be a JSON object');
  }
  const { token, ...event } = body as Record<string, unknown>;
  return { event, token };
}
