// Fails any workerd test during which a Worker invocation (or a call from test code) crossed a Cloudflare limit
// (test/limits/layer.ts), with LIMITS_PLAN's per-invocation figures. With LIMITS_SUMMARY=1 each file also prints
// the largest counts its invocations reached.
import { env } from 'cloudflare:workers';
import { afterAll, afterEach } from 'vitest';
import { describe, type Invocation, setPlan, subrequests, takeInvocations, takeViolations } from './layer';

setPlan((env as unknown as Record<string, unknown>).LIMITS_PLAN === 'free' ? 'free' : 'paid');
const seen: Invocation[] = [];

function failOnViolations(): void {
  seen.push(...takeInvocations());
  const violations = takeViolations();
  if (violations.length)
    throw new Error(
      `${violations.length} Cloudflare limit violation(s):\n${violations.map((v) => `  - ${describe(v)}`).join('\n')}`,
    );
}

afterEach(failOnViolations);

afterAll(() => {
  // Invocations still running after the last test (a queue consumer, say) are checked too.
  failOnViolations();
  if ((env as unknown as Record<string, unknown>).LIMITS_SUMMARY !== '1') return;
  const top = (pick: (i: Invocation) => number) =>
    seen.reduce<Invocation | undefined>((best, i) => (!best || pick(i) > pick(best) ? i : best), undefined);
  const q = top((i) => i.d1Queries);
  const s = top(subrequests);
  console.log(
    `LIMITS-SUMMARY ${JSON.stringify({
      invocations: seen.length,
      maxD1Queries: q ? { value: q.d1Queries, in: q.label } : null,
      maxSubrequests: s ? { value: subrequests(s), in: s.label } : null,
    })}`,
  );
});
