// Consent Mode as the snippet saw it (envelope `g`: every gtag() command but events, in page order; the
// gtag('consent', 'default' | 'update', {…}) ones count) resolved for the visitor's place, which only the Worker knows (request.cf). A default with `region`
// applies only where the visitor is in one of those ISO 3166 regions, the most specific one winning ("US-CA" over
// "US" over a default without region); updates then apply in order, wherever the visitor is. Rules and their
// sources: docs/page-formats.md "Consent".
import { isObject, obj, type Raw } from './common';

/** Where the visitor is: ISO 3166-1 country ("AT") and the subdivision code without the country ("CA"), if known. */
export type Place = { country?: string; region?: string };

/** The visitor's place as Cloudflare geolocates it (request.cf.country, request.cf.regionCode). */
export function placeOf(request: Request): Place {
  const cf = (request as { cf?: { country?: unknown; regionCode?: unknown } }).cf;
  const text = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
  return { country: text(cf?.country), region: text(cf?.regionCode) };
}

/** 0 = applies everywhere, 1 = the visitor's country, 2 = its subdivision, -1 = not here. */
function specificity(params: Raw, place: Place): number {
  if (!Array.isArray(params.region)) return 0;
  const regions = params.region.map((r) => String(r).trim().toUpperCase());
  // Unknown place (no request.cf, e.g. a local run): a region-scoped default is applied, the cautious reading.
  if (!place.country) return 1;
  const country = place.country.toUpperCase();
  if (place.region && regions.includes(`${country}-${place.region.toUpperCase()}`)) return 2;
  return regions.includes(country) ? 1 : -1;
}

/** The consent state for this visitor: defaults by region, then updates in order. Keys as the page named them. */
export function resolveConsent(commands: unknown, place: Place): Raw | undefined {
  if (!Array.isArray(commands)) return undefined;
  const best: Record<string, number> = {};
  const state: Raw = {};
  const set = (params: Raw, rank: number) => {
    for (const [k, value] of Object.entries(params)) {
      if (value !== 'granted' && value !== 'denied') continue;
      // A later default of the same specificity overrides an earlier one, as a later gtag() call would.
      if (rank >= (best[k] ?? -1)) {
        best[k] = rank;
        state[k] = value;
      }
    }
  };
  const consent = commands.filter((c) => Array.isArray(c) && c[0] === 'consent' && isObject(c[2]));
  for (const [, kind, params] of consent) {
    if (kind !== 'default') continue;
    const rank = specificity(obj(params), place);
    if (rank >= 0) set(params, rank);
  }
  for (const [, kind, params] of consent) if (kind === 'update') set(params, 3);
  return state;
}

/** GA4 user_data from the latest gtag('set', 'user_data', {…}) or gtag('set', {user_data: {…}}). */
export function userDataOf(commands: unknown): unknown {
  let userData: unknown;
  if (Array.isArray(commands))
    for (const c of commands) {
      if (!Array.isArray(c) || c[0] !== 'set') continue;
      userData = (c[1] === 'user_data' ? c[2] : obj(c[1]).user_data) ?? userData;
    }
  return userData;
}
