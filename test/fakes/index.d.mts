import type { Fake, NodeListener } from './common.mjs';
import type { EcomailFake } from './ecomail.mjs';
import type { ESputnikFake } from './esputnik.mjs';
import type { MyTrackerFake } from './mytracker.mjs';
import type { VtFake } from './vtmarketing.mjs';
import type { YandexFake } from './yandex.mjs';

export type { FailOptions, FailureRateOptions, Fake, RateRule, ReceivedRecord } from './common.mjs';

export type VendorName = 'mytracker' | 'esputnik' | 'ecomail' | 'vtmarketing' | 'yandex';
export const VENDORS: VendorName[];
export const HOSTS: Record<string, VendorName>;
export const URL_VARS: Record<VendorName, string>;

export interface FakeVendorOptions {
  mytracker?: { token?: string; appId?: string | number };
  esputnik?: { apiKey?: string };
  ecomail?: { apiKey?: string; ratePerMinute?: number; now?: () => number };
  vtmarketing?: { apiKey?: string };
  yandex?: {
    token?: string;
    counterId?: string | number;
    dailyQuota?: number;
    goalIds?: string[];
    timeZone?: string;
    now?: () => number;
  };
  basePort?: number;
  /** Every fake in rate-limit mode (true), or per vendor with overrides { [rule name]: max }. */
  rateLimits?: boolean | Partial<Record<VendorName, Record<string, number>>>;
}

export interface FakeVendors {
  mytracker: MyTrackerFake;
  esputnik: ESputnikFake;
  ecomail: EcomailFake;
  vtmarketing: VtFake;
  yandex: YandexFake;
  all: Fake[];
  /** Requests to hosts that are not a vendor (answered 599). */
  blocked: { method: string; url: string; at: number }[];
  handle(request: Request): Promise<Response>;
  /** The router as a node:http listener: use `outboundService: { node: vendors.node }` in miniflare so that
   *  `refuse` really drops the connection (a function outboundService turns a throw into a 500). */
  node: NodeListener;
  reset(): void;
}

export interface FakeVendorUrls {
  MYTRACKER_BASE_URL: string;
  ESPUTNIK_BASE_URL: string;
  ECOMAIL_BASE_URL: string;
  VTMARKETING_BASE_URL: string;
  YANDEX_METRICA_BASE_URL: string;
}

export function createFakeVendors(options?: FakeVendorOptions): FakeVendors;
export function listenFakeVendors(opts?: {
  host?: string;
  basePort?: number;
  log?: ((line: string) => void) | null;
  options?: FakeVendorOptions;
}): Promise<{ fakes: FakeVendors; urls: FakeVendorUrls; close(): Promise<void> }>;
