// The vendor registry: adding a vendor = its module + one line here + fixtures in test/vendors/<vendor>/.

import { ecomail } from './ecomail';
import { esputnik } from './esputnik';
import { mytracker } from './mytracker';
import type { Vendor, VendorName } from './types';
import { vtmarketing } from './vtmarketing';
import { yandex } from './yandex';

// biome-ignore lint/suspicious/noExplicitAny: each module has its own config type, and a config only ever goes back to the module that parsed it.
export const VENDORS: readonly Vendor<any>[] = [mytracker, esputnik, ecomail, vtmarketing, yandex];

export function vendorByName(name: string): Vendor<unknown> | undefined {
  return VENDORS.find((vendor) => vendor.name === name) as Vendor<unknown> | undefined;
}

export type { VendorName };
