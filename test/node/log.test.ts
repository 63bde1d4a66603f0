// Log lines: the deployment's secret values never appear, even when a vendor's answer echoes one.
import { afterEach, describe, expect, it } from 'vitest';
import { log, setLogSecrets, setLogSink } from '../../src/worker/log';

function capture(run: () => void): string[] {
  const lines: string[] = [];
  setLogSink((line) => {
    lines.push(line);
  });
  try {
    run();
  } finally {
    setLogSink((line) => console.log(line));
  }
  return lines;
}

afterEach(() => setLogSecrets([]));

describe('log', () => {
  it('replaces each secret value, also where JSON escaped it, and still masks emails', () => {
    setLogSecrets(['test-ecomail-key', 'se"cret\\value']);
    const [line = ''] = capture(() =>
      log('warn', 'delivery', {
        detail: '401 {"error":"bad key test-ecomail-key"} for buyer@example.com',
        echo: 'se"cret\\value',
      }),
    );
    expect(line).not.toContain('test-ecomail-key');
    expect(line).not.toContain('value');
    expect(JSON.parse(line)).toEqual({
      level: 'warn',
      msg: 'delivery',
      detail: '401 {"error":"bad key [secret]"} for b***@example.com',
      echo: '[secret]',
    });
  });

  it('leaves a line without secrets as it was', () => {
    setLogSecrets(['test-ecomail-key']);
    const [line = ''] = capture(() => log('info', 'event_stored', { key: 'A-1:paid' }));
    expect(JSON.parse(line)).toEqual({ level: 'info', msg: 'event_stored', key: 'A-1:paid' });
  });
});
