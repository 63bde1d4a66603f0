import type { Fake } from './common.mjs';
export interface ESputnikEvent {
  eventTypeKey: string;
  keyValue: string;
  params: Record<string, string>;
  externalOrderId?: string;
}
export interface ESputnikContact {
  id: number;
  externalCustomerId?: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  channels: { type: 'email' | 'sms'; value: string }[];
  raw: Record<string, unknown>;
}
export interface ESputnikOrder {
  externalOrderId: string;
  status?: string;
  totalCost?: number;
  items?: unknown[];
  contactId: number;
  /** Event types applied, in order. */
  events: string[];
  [param: string]: unknown;
}
export type DropReason = 'unknown_contact' | 'missing_required' | 'unknown_order' | 'invalid_status' | 'invalid_value';
/** An accepted recommendation event; the JSON-encoded param (page, product, category, products) decoded. */
export interface ESputnikBrowseEvent {
  eventTypeKey: 'pageViewed' | 'productViewed' | 'productCategoryViewed' | 'cartUpdated';
  keyValue: string;
  contactId: number;
  params: Record<string, unknown>;
}
export interface ESputnikFake extends Fake<ESputnikEvent & { contactId: number }> {
  contacts: Map<number, ESputnikContact>;
  orders: Map<string, ESputnikOrder>;
  dropped: (ESputnikEvent & { reason: DropReason })[];
  browse: ESputnikBrowseEvent[];
}
export function createFake(opts?: { apiKey?: string }): ESputnikFake;
