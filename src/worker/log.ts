// Structured logs, one JSON line each. Emails and phones are masked wherever they appear. Callers log names and
// ids, not credentials, but a vendor's answer or an error message may echo one: every line is also redacted of the
// deployment's secret values (setLogSecrets, called by each entry point).

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
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('[secret]');
  return out;
}

let secrets: readonly string[] = [];
let secretsKey = '';
/** The secret values to redact from every line, as given and as they appear inside a JSON string; longest first. */
export function setLogSecrets(values: readonly string[]): void {
  const key = values.join('\n');
  if (key === secretsKey) return;
  secretsKey = key;
  const forms = new Set(values.flatMap((s) => (s ? [s, JSON.stringify(s).slice(1, -1)] : [])));
  secrets = [...forms].sort((a, b) => b.length - a.length);
}

let sink: (line: string) => void = (line) => console.log(line);
/** Tests capture log lines here. */
export function setLogSink(next: (line: string) => void): void {
  sink = next;
}

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  // Secrets first: masking an email inside one would hide it from the redaction.
  sink(maskPii(redactSecrets(JSON.stringify({ level, msg, ...fields }), secrets)));
}
