// The vendor registry: adding a vendor = its module + one line here + fixtures in test/vendors/<vendor>/.
import { mytracker } from './mytracker';
import { esputnik } from './esputnik';
import { ecomail } from './ecomail';
import { vtmarketing } from './vtmarketing';
import { yandex } from './yandex';
import type { Vendor, VendorName } from './types';

// Each module is typed by its own config; the registry only passes a config back to the module it came from.
// `any`: each module has its own config type, and a config only ever goes back to the module that parsed it.
export const VENDORS: readonly Vendor<any>[] = [mytracker, esputnik, ecomail, vtmarketing, yandex];

export function vendorByName(name: string): Vendor<unknown> | undefined {
  return VENDORS.find((vendor) => vendor.name === name) as Vendor<unknown> | undefined;
}

export type { VendorName };
