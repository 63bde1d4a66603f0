// Stored bodies as changes from an earlier event of the order: the round trip is exact (pure, plain Node).
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../event';
import { diff, patch, storedForm } from './bodies';

const created = {
  order_id: 'A-1',
  status: 'created',
  currency: 'EUR',
  total: 33.8,
  shipping: 5,
  items: [
    { id: 'SKU-1', name: 'Green apple', quantity: 2, price: 11.9 },
    { id: 'SKU-2', name: 'Honey', quantity: 1, price: 5 },
  ],
  customer: { id: 'c-1', email: 'a@example.com', phone: '+420777123456' },
  key: 'A-1:created',
  occurred_at: 1_700_000_000,
  context: {
    source: 'browser',
    received_at: 1_700_000_001,
    page_url: 'https://shop.example/thanks',
    ip: '203.0.113.7',
  },
} as unknown as CanonicalEvent;

const json = (e: unknown) => JSON.parse(JSON.stringify(e)) as Record<string, unknown>;

describe('bodies stored as changes', () => {
  it('a paid after its created is stored as a short delta that restores it exactly', () => {
    const paid = {
      ...created,
      status: 'paid',
      key: 'A-1:paid',
      occurred_at: 1_700_000_600,
      shipping: undefined,
      customer: { ...created.customer, phone: undefined, city: 'Brno' },
      context: { source: 'server', received_at: 1_700_000_601 },
    } as unknown as CanonicalEvent;
    const text = storedForm(paid, { kind: 'created', event: json(created) });
    expect(text.length).toBeLessThan(JSON.stringify(paid).length);
    const stored = JSON.parse(text) as Record<string, unknown>;
    expect(stored['~']).toBe('created');
    expect(patch(json(created), stored)).toEqual(json(paid));
  });

  it('without a base, or when the delta is not shorter, the event is stored whole', () => {
    expect(storedForm(created)).toBe(JSON.stringify(created));
    const other = { order_id: 'A-1', status: 'refunded', key: 'A-1:refunded:h1', occurred_at: 1, context: {} };
    const text = storedForm(other as unknown as CanonicalEvent, { kind: 'created', event: json(created) });
    expect(JSON.parse(text)).toEqual(json(other));
  });

  it('diff and patch are inverse on nested objects, arrays and removed keys', () => {
    const a = { x: 1, y: { z: [1, 2], w: 'k' }, gone: true };
    const b = { x: 1, y: { z: [1, 3], v: null }, added: { deep: 1 } };
    expect(patch(a, diff(a, b))).toEqual(b);
    expect(diff(a, a)).toEqual({});
  });
});
