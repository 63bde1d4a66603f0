// The README's Node recipe for signed-order tokens must produce tokens the Worker accepts.
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { verifyOrderToken } from '../../src/worker/signature';

const SECRET = 'test-signing-secret';
const readmeToken = (orderId: string, exp: number) =>
  `${exp}.${createHmac('sha256', SECRET).update(`${orderId}\n${exp}`).digest('base64url')}`;

it('accepts a token made the README way, for its own order only, until it expires', async () => {
  const now = 1_800_000_000;
  const token = readmeToken('1001', now + 3600);
  expect(await verifyOrderToken(SECRET, '1001', token, now)).toEqual({ ok: true });
  expect(await verifyOrderToken(SECRET, '1002', token, now)).toEqual({ ok: false, reason: 'invalid' });
  expect(await verifyOrderToken(SECRET, '1001', token, now + 3601)).toEqual({ ok: false, reason: 'expired' });
  expect(await verifyOrderToken('other-secret', '1001', token, now)).toEqual({ ok: false, reason: 'invalid' });
  expect(await verifyOrderToken(SECRET, '1001', undefined, now)).toEqual({ ok: false, reason: 'missing' });
});
