import type { Fake } from './common.mjs';
export interface VtAccepted {
  email: string;
  orderId: string;
  total: number;
  items: { id: string; quantity: number }[];
  /** True when the request had no orderId and the fake assigned `auto-N` (the vendor does the same). */
  missingOrderId: boolean;
  raw: Record<string, unknown>;
}
export interface VtFake extends Fake<VtAccepted> {
  ignoredDuplicates: { email: string; orderId: string; raw: Record<string, unknown> }[];
}
export function createFake(opts?: { apiKey?: string }): VtFake;
