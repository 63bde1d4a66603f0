// The README's Node recipe for signed-order tokens must produce tokens the Worker accepts, with the claims it signs.
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { verifyOrderToken } from '../../src/worker/signature';

const SECRET = 'test-signing-secret';

/** README "Signed orders", the Node block, as a function of its inputs. */
function readmeToken(orderId: string, total: number, exp: number, status = 'paid'): string {
  const claims = [status, total.toFixed(2), 'EUR'];
  const mac = createHmac('sha256', SECRET).update([orderId, ...claims, exp].join('\n'));
  return [exp, ...claims, mac.digest('base64url')].join('.');
}

it('accepts a token made the README way, for its own order only, until it expires', async () => {
  const now = 1_800_000_000;
  const token = readmeToken('1001', 120, now + 3600);
  expect(await verifyOrderToken(SECRET, '1001', token, now)).toEqual({
    ok: true,
    claims: { status: 'paid', total: '120.00', currency: 'EUR' },
  });
  expect(await verifyOrderToken(SECRET, '1002', token, now)).toEqual({ ok: false, reason: 'invalid' });
  expect(await verifyOrderToken(SECRET, '1001', token, now + 3601)).toEqual({ ok: false, reason: 'expired' });
  expect(await verifyOrderToken('other-secret', '1001', token, now)).toEqual({ ok: false, reason: 'invalid' });
  expect(await verifyOrderToken(SECRET, '1001', undefined, now)).toEqual({ ok: false, reason: 'missing' });
});

it('binds the total, the status and the currency: a token edited in any of them fails', async () => {
  const now = 1_800_000_000;
  const token = readmeToken('1001', 120, now + 3600);
  for (const edited of [
    token.replace('.120.00.', '.1.00.'),
    token.replace('.paid.', '.refunded.'),
    token.replace('.EUR.', '.USD.'),
  ])
    expect(await verifyOrderToken(SECRET, '1001', edited, now)).toEqual({ ok: false, reason: 'invalid' });
  const refund = readmeToken('1001', 30.5, now + 3600, 'refunded');
  expect(await verifyOrderToken(SECRET, '1001', refund, now)).toMatchObject({
    ok: true,
    claims: { status: 'refunded' },
  });
});

it('refuses the earlier order-id-only form', async () => {
  const now = 1_800_000_000;
  const exp = now + 3600;
  const old = `${exp}.${createHmac('sha256', SECRET).update(`1001\n${exp}`).digest('base64url')}`;
  expect(await verifyOrderToken(SECRET, '1001', old, now)).toEqual({ ok: false, reason: 'malformed' });
});
