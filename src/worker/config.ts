// Which vendors are enabled: a vendor whose secrets are missing is disabled, and that is logged once per isolate.
import type { Env, VarName } from './env';
import { log } from './log';
import { VENDORS } from './vendors';
import type { Vendor } from './vendors/types';

export type Enabled = { vendor: Vendor<unknown>; config: unknown };

const cache = new WeakMap<object, Enabled[]>();
const announced = new Set<string>();

export function enabledVendors(env: Env): Enabled[] {
  const hit = cache.get(env);
  if (hit) return hit;
  const enabled: Enabled[] = [];
  for (const vendor of VENDORS) {
    const config = vendor.parseConfig(env);
    if (config) enabled.push({ vendor, config });
    else if (!announced.has(vendor.name)) {
      announced.add(vendor.name);
      log('info', 'vendor_disabled', { vendor: vendor.name, why: `missing ${vendor.secrets.join(' or ')} / ids` });
    }
  }
  cache.set(env, enabled);
  return enabled;
}

export function enabledVendor(env: Env, name: string): Enabled | undefined {
  return enabledVendors(env).find((e) => e.vendor.name === name);
}

/** Every configured secret value, for redaction. */
export function secretValues(env: Env): string[] {
  const names: VarName[] = [
    'S2S_TOKEN',
    'ADMIN_TOKEN',
    'SIGNING_SECRET',
    'SHOPIFY_WEBHOOK_SECRET',
    'WOOCOMMERCE_WEBHOOK_SECRET',
    ...VENDORS.flatMap((v) => v.secrets),
  ];
  return names.map((n) => env[n]).filter((x): x is string => typeof x === 'string' && x.length >= 4);
}
