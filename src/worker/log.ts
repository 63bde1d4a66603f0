// Structured logs, one JSON line each. Emails and phones are masked wherever they appear; secrets are never
// passed in (callers log names and ids, not credentials), and `redactSecrets` guards vendor texts.

type Level = 'debug' | 'info' | 'warn' | 'error';

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// A phone is a `+`-prefixed number, or any value of a phone-like JSON key (order ids and timestamps stay readable).
const INTL_PHONE = /\+\d[\d\s().-]{5,}\d/g;
const PHONE_FIELD = /("(?:phone|phones|tel|sms|phoneNumber)\\?"\s*:\s*\\?")([^"\\]*)/gi;

export function maskPii(text: string): string {
  return text
    .replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`)
    .replace(INTL_PHONE, (m) => `+***${m.slice(-2)}`)
    .replace(PHONE_FIELD, (_m, key: string, value: string) => `${key}${value ? `***${value.slice(-2)}` : ''}`);
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[secret]');
  return out;
}

let sink: (line: string) => void = (line) => console.log(line);
/** Tests capture log lines here. */
export function setLogSink(next: (line: string) => void): void {
  sink = next;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  sink(maskPii(JSON.stringify({ level, msg, ...fields })));
}
