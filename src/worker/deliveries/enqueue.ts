// Delivery messages: one per open row of a queue vendor, in sendBatch chunks within Queues' limits.
import type { DeliveryMessage, Env } from '../env';
import { vendorName } from './state';
import type { NewRow, RowResult } from './store';

/** Queues cap delaySeconds at 12 hours. */
export const MAX_DELAY_SECONDS = 43_200;
/** Queues' sendBatch limit (messages); delivery messages are ~100 bytes, far below its 256 KB. */
const SEND_BATCH = 100;

/**
 * New rows as delivery messages in sendBatch chunks, vendor by vendor (a stable sort keeps the events' order):
 * a deliveries batch then holds many events of one vendor, which MyTracker packs 8–20 to a request.
 */
export function deliveryChunks(
  rows: readonly { event_key: string; vendor: string; order_id?: string }[],
): DeliveryMessage[][] {
  const sorted = [...rows].sort((a, b) => (a.vendor < b.vendor ? -1 : a.vendor > b.vendor ? 1 : 0));
  const chunks: DeliveryMessage[][] = [];
  for (let i = 0; i < sorted.length; i += SEND_BATCH)
    chunks.push(
      sorted
        .slice(i, i + SEND_BATCH)
        .map((r) =>
          r.order_id === undefined
            ? { key: r.event_key, vendor: r.vendor }
            : { key: r.event_key, vendor: r.vendor, order_id: r.order_id },
        ),
    );
  return chunks;
}

export async function enqueueRows(env: Env, rows: readonly NewRow[]): Promise<void> {
  const named = rows.flatMap((r) => {
    const vendor = vendorName(r.vendor);
    return vendor ? [{ event_key: r.key, vendor, order_id: r.order_id }] : [];
  });
  for (const chunk of deliveryChunks(named)) await env.DELIVERIES.sendBatch(chunk.map((body) => ({ body })));
}

/** Retry messages for rows that will be tried again, delayed until their next attempt. */
export async function requeueRetries(
  env: Env,
  vendor: string,
  results: readonly RowResult[],
  now: number,
): Promise<void> {
  const retries = results.filter((r) => r.state === 'retry');
  for (let i = 0; i < retries.length; i += 100) {
    await env.DELIVERIES.sendBatch(
      retries.slice(i, i + 100).map((r) => ({
        body: { key: r.key, vendor, order_id: r.order_id },
        delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(((r.nextAttemptAt ?? now) - now) / 1000))),
      })),
    );
  }
}
