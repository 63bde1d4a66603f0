import type { Fake } from './common.mjs';
export interface MyTrackerAccepted {
  order_id: string;
  status: 'ADD' | 'PAY' | 'CANCEL' | 'REFUND';
  action_id?: string;
  currency_code?: string;
  items: Record<string, unknown>[];
  ids: Partial<
    Record<'customUserId' | 'lvid' | 'instanceId' | 'gaid' | 'appSetId' | 'androidId' | 'idfa' | 'iosVendorId', string>
  >;
  eventTimestamp?: number | string;
  raw: Record<string, unknown>;
}
export type MyTrackerFake = Fake<MyTrackerAccepted>;
export function createFake(opts?: { token?: string; appId?: string | number }): MyTrackerFake;
