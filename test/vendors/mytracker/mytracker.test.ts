// MyTracker beyond the golden fixtures: classify (the doc's status table) and config.
import { describe, expect, it } from 'vitest';
import { mytracker } from '../../../src/worker/vendors/mytracker';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });

describe('mytracker.classify', () => {
  it.each([
    [200, '{"message":"\u041eK"}', {}, 'delivered', undefined],
    [400, '{"error":"Bad Request"}', {}, 'rejected', undefined],
    [400, '{"error":"Bad json"}', {}, 'rejected', undefined],
    [403, '{"error":"Forbidden"}', {}, 'rejected', undefined],
    [404, '{"error":"Method not found"}', {}, 'rejected', undefined],
    [408, '', {}, 'retry', undefined],
    [429, '{"error":"Too Many Requests"}', { 'retry-after': '30' }, 'retry', 30],
    [500, '{"error":"Internal Server Error"}', {}, 'retry', undefined],
    [503, 'Service Unavailable', {}, 'retry', undefined],
  ] as const)('%i %s → %s', (status, body, headers, outcome, retryAfter) => {
    const c = mytracker.classify(res(status, body, headers));
    expect(c.outcome).toBe(outcome);
    expect(c.retryAfter).toBe(retryAfter);
    // The vendor's own text is kept for the operator.
    expect(c.detail).toBe(`${status} ${body}`.trim());
  });
});

describe('mytracker.parseConfig', () => {
  it('needs the app id and the token; the base URL and batching have defaults', () => {
    expect(mytracker.parseConfig({ MYTRACKER_TOKEN: 'test-mytracker-token' })).toBeNull();
    expect(mytracker.parseConfig({ MYTRACKER_APP_ID: '12345', MYTRACKER_TOKEN: ' ' })).toBeNull();
    expect(mytracker.parseConfig({ MYTRACKER_APP_ID: '12345', MYTRACKER_TOKEN: 'test-mytracker-token' })).toStrictEqual(
      {
        appId: '12345',
        token: 'test-mytracker-token',
        baseUrl: 'https://tracker-s2s.my.com',
        batch: true,
      },
    );
  });
});
