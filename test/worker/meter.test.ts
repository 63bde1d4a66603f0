// The opt-in meter (src/worker/meter.ts) behind `npm run soak`: it must count what D1 itself reports and leave
// every call's result as it was.
import { describe, expect, it } from 'vitest';
import { meterEnv } from '../../src/worker/meter';
import { env } from './helpers';

describe('meterEnv', () => {
  it("counts statements and D1's own rows_read / rows_written, through prepare, bind, first, all and batch", async () => {
    const { env: m, counts } = meterEnv(env);
    const name = `meter-${Date.now()}-${Math.random()}`;
    await m.DB.prepare('INSERT INTO locks (name, holder, until) VALUES (?1, ?2, ?3)').bind(name, 'h', 1).run();
    // D1 counts the row and its primary-key index entry as rows written.
    expect(counts.d1_statements).toBe(1);
    const afterInsert = counts.d1_rows_written;
    expect(afterInsert).toBeGreaterThanOrEqual(1);
    const row = await m.DB.prepare('SELECT holder, until FROM locks WHERE name = ?1').bind(name).first<{
      holder: string;
    }>();
    expect(row?.holder).toBe('h');
    expect(await m.DB.prepare('SELECT until FROM locks WHERE name = ?1').bind(name).first('until')).toBe(1);
    expect(await m.DB.prepare('SELECT until FROM locks WHERE name = ?1').bind('none').first()).toBeNull();
    expect(counts.d1_rows_read).toBeGreaterThanOrEqual(2);
    const results = await m.DB.batch([
      m.DB.prepare('UPDATE locks SET until = 2 WHERE name = ?1').bind(name),
      m.DB.prepare('DELETE FROM locks WHERE name = ?1').bind(name),
    ]);
    expect(results).toHaveLength(2);
    expect(counts.d1_statements).toBe(6);
    expect(counts.d1_rows_written).toBeGreaterThanOrEqual(afterInsert + 2);
    expect(counts.d1_unmetered).toBe(0);
    // The real binding is untouched.
    expect(await env.DB.prepare('SELECT count(*) AS n FROM locks WHERE name = ?1').bind(name).first('n')).toBe(0);
  });

  it('counts queue messages sent and their 64 KB units', async () => {
    const { env: m, counts } = meterEnv(env);
    await m.DELIVERIES.sendBatch([
      { body: { key: 'meter-none', vendor: 'nobody' } },
      { body: { key: 'meter-none-2', vendor: 'nobody' } },
    ]);
    expect(counts.queue_sent).toBe(2);
    expect(counts.queue_sent_64kb).toBe(2);
  });
});
