import type { Fake } from './common.mjs';
export interface EcomailAccepted {
  method: 'POST' | 'PUT' | 'DELETE';
  order_id: string;
  transaction?: Record<string, unknown>;
  transaction_items?: Record<string, unknown>[];
  duplicate?: boolean;
}
export interface EcomailRow {
  id: number;
  transaction: Record<string, unknown>;
  transaction_items: Record<string, unknown>[];
}
export interface EcomailFake extends Fake<EcomailAccepted> {
  transactions: Map<string, EcomailRow>;
  duplicates: (EcomailRow & { order_id: string })[];
  deleted: string[];
}
export function createFake(opts?: { apiKey?: string; ratePerMinute?: number; now?: () => number }): EcomailFake;
