// The queue names of wrangler.toml, exactly (test/node/queues.test.ts compares the two). queue() dispatches on
// these and throws on any other name, so a renamed queue fails loudly (its messages are retried) instead of
// being acknowledged and lost.
export const QUEUES = {
  ingest: 'order-relay-ingest',
  ingestDeadLetter: 'order-relay-ingest-dead-letter',
  deliveries: 'order-relay-deliveries',
  deadLetter: 'order-relay-dead-letter',
  browse: 'order-relay-browse',
} as const;
export type QueueRole = keyof typeof QUEUES;

export function queueRole(name: string): QueueRole {
  for (const [role, queue] of Object.entries(QUEUES)) if (queue === name) return role as QueueRole;
  throw new Error(`unknown queue ${JSON.stringify(name)}: not one of ${Object.values(QUEUES).join(', ')}`);
}
