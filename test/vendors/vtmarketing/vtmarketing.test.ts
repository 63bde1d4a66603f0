// VTmarketing beyond the golden fixtures: classify ("any status code other than 200 indicates an error") and config.
import { describe, expect, it } from 'vitest';
import { vtmarketing } from '../../../src/worker/vendors/vtmarketing';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });
const CREATED = '{"results":{"message":"Event created","email":"Event was created for the specified user"}}';
const MISSING =
  '{"errors":[{"message":"Missing event information","description":"Please send event information along with user"}]}';

describe('vtmarketing.classify', () => {
  it.each([
    [200, CREATED, {}, 'delivered', undefined],
    [400, MISSING, {}, 'rejected', undefined],
    [
      401,
      '{"errors":[{"message":"Unauthorized","description":"Invalid or missing API key"}]}',
      {},
      'rejected',
      undefined,
    ],
    [404, '{"errors":[{"message":"Not found","description":"Unknown endpoint"}]}', {}, 'rejected', undefined],
    [429, '{"errors":[{"message":"Too many requests"}]}', { 'retry-after': '12' }, 'retry', 12],
    [500, '{"errors":[{"message":"Internal error"}]}', {}, 'retry', undefined],
    [503, '', {}, 'retry', undefined],
  ] as const)('%i → %s', (status, body, headers, outcome, retryAfter) => {
    const c = vtmarketing.classify(res(status, body, headers));
    expect(c.outcome).toBe(outcome);
    expect(c.retryAfter).toBe(retryAfter);
    expect(c.detail).toBe(`${status} ${body}`.trim());
  });
});

describe('vtmarketing.parseConfig', () => {
  it('needs the API key; the base URL defaults to api.vtcdn.net', () => {
    expect(vtmarketing.parseConfig({})).toBeNull();
    expect(vtmarketing.parseConfig({ VTMARKETING_API_KEY: '' })).toBeNull();
    expect(vtmarketing.parseConfig({ VTMARKETING_API_KEY: 'test-vtmarketing-key' })).toStrictEqual({
      apiKey: 'test-vtmarketing-key',
      baseUrl: 'https://api.vtcdn.net',
    });
    expect(vtmarketing.secrets).toStrictEqual(['VTMARKETING_API_KEY']);
    expect(vtmarketing.consentKey).toBe('ad_user_data');
  });
});
