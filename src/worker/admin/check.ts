// Credential check: sends the vendor's own "do these credentials work" request (vendor.checkRequest, e.g.
// MyTracker's /v1/test-app-access) from the Worker and reports the outcome; the secret never leaves the Worker.
import { enabledVendor } from '../config';
import { fetchSend, type Send } from '../deliveries/send';
import { type Env, intVar } from '../env';
import { HttpError } from '../http';
import { vendorByName } from '../vendors';
import { truncate } from '../vendors/http';
import { maskRequest, maskText, secretsOf } from './mask';

export type CheckResult = {
  vendor: string;
  ok: boolean;
  outcome: 'delivered' | 'retry' | 'rejected';
  http_status: number | null;
  /** The vendor's answer, truncated, secrets masked. */
  detail: string;
  duration_ms: number;
  request: { method: string; url: string };
};

export async function checkVendor(env: Env, name: string, send: Send = fetchSend()): Promise<CheckResult> {
  if (!vendorByName(name)) throw new HttpError(404, 'unknown_vendor', `No vendor called ${name}`);
  const enabled = enabledVendor(env, name);
  if (!enabled) throw new HttpError(409, 'vendor_disabled', `${name} is not configured (its secrets are missing)`);
  const { vendor, config } = enabled;
  if (!vendor.checkRequest) throw new HttpError(404, 'no_check', `${vendor.label} offers no credential check`);
  const req = vendor.checkRequest(config);
  const secrets = secretsOf(env);
  const shown = maskRequest(req, secrets, false);
  const started = Date.now();
  try {
    const res = await send(req, intVar(env.VENDOR_TIMEOUT_MS, 10_000, 100));
    const classified = vendor.classify(res);
    return {
      vendor: name,
      ok: classified.outcome === 'delivered',
      outcome: classified.outcome,
      http_status: res.status,
      detail: maskText(truncate(classified.detail, 300), secrets, false) ?? '',
      duration_ms: Date.now() - started,
      request: { method: shown.method, url: shown.url },
    };
  } catch (err) {
    const detail =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? 'timeout'
        : `network error: ${err instanceof Error ? err.message : String(err)}`;
    return {
      vendor: name,
      ok: false,
      outcome: 'retry',
      http_status: null,
      detail: maskText(truncate(detail, 300), secrets, false) ?? '',
      duration_ms: Date.now() - started,
      request: { method: shown.method, url: shown.url },
    };
  }
}
