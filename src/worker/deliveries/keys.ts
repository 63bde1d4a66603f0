// How an event is addressed in D1: the order's integer id plus the key's `kind` (the key without its order
// prefix, which src/worker/event-key.ts makes `encodeURIComponent(order_id)`), and the stored body codec.

/** The form of an order id that starts its event keys. */
export const keyPrefix = (orderId: string): string => encodeURIComponent(orderId);

/** The key without its order prefix; a key of another form is kept whole behind `=`. */
export function kindOf(key: string, orderId: string): string {
  const prefix = `${keyPrefix(orderId)}:`;
  return key.startsWith(prefix) ? key.slice(prefix.length) : `=${key}`;
}

export function keyOf(kind: string, orderId: string): string {
  return kind.startsWith('=') ? kind.slice(1) : `${keyPrefix(orderId)}:${kind}`;
}

/** The order id behind a key made by eventKey() (the part before the first `:`, decoded). */
export function orderIdOfKey(key: string): string | null {
  const i = key.indexOf(':');
  if (i <= 0) return null;
  try {
    return decodeURIComponent(key.slice(0, i));
  } catch {
    return null;
  }
}

/** deflate-raw of the JSON text, as hex (bound inside a JSON array, turned into a BLOB by SQL's unhex()). */
export async function packBody(json: string): Promise<string> {
  const stream = new Blob([json]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** A stored body as read with `bodyColumns()`: JSON text (rows migrated from 0001) or packed. */
export async function unpackBody(body: string, packed: number | boolean): Promise<string> {
  if (!packed) return body;
  const bytes = new Uint8Array(body.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(body.slice(i * 2, i * 2 + 2), 16);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Response(stream).text();
}

/** Select-list of a body for unpackBody(): `packed`, `body` (alias `e` of order_events). */
export const bodyColumns = (alias = 'e'): string =>
  `typeof(${alias}.body) = 'blob' AS packed, CASE WHEN typeof(${alias}.body) = 'blob' THEN hex(${alias}.body) ELSE ${alias}.body END AS body`;
