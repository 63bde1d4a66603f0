// One HMAC-SHA256 key import for every signature the relay makes or checks (signed orders, platform webhooks).

/** An HMAC-SHA256 key over the UTF-8 bytes of `secret`, for signing or for WebCrypto's constant-time verify. */
export const hmacKey = (secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> =>
  crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
