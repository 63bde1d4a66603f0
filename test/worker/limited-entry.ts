// The Worker the workerd tests run (vitest.config.ts `main`): the real handlers of src/worker/index.ts, each call
// one invocation of the Cloudflare-limits layer (test/limits/layer.ts) with its env's D1 and queues and the global
// fetch counted. Whatever the handlers do inside, a crossed limit throws there and fails the running test.
import worker from '../../src/worker/index';
import { limitBatch, limitEnv, limitFetch, runInvocation } from '../limits/layer';

export * from '../../src/worker/index';

type Bindings = Record<string, unknown>;
type Handler = Required<Pick<ExportedHandler<Bindings, unknown>, 'fetch' | 'queue' | 'scheduled'>>;
const real = worker as unknown as Handler;

function prepare<E extends object>(env: E): E {
  limitFetch();
  return limitEnv(env);
}

// `ctx` is optional because some tests call a handler with an env of their own and no context.
export default {
  fetch(request: Request, env: object, ctx?: ExecutionContext): Promise<Response> {
    const label = `fetch ${request.method} ${new URL(request.url).pathname}`;
    return runInvocation(label, async () =>
      real.fetch(request as Parameters<Handler['fetch']>[0], prepare(env) as Bindings, ctx as ExecutionContext),
    );
  },
  queue(batch: MessageBatch, env: object, ctx?: ExecutionContext): Promise<void> {
    const label = `queue ${batch.queue} (${batch.messages.length} messages)`;
    return runInvocation(label, async () =>
      real.queue(limitBatch(batch), prepare(env) as Bindings, ctx as ExecutionContext),
    );
  },
  scheduled(controller: ScheduledController, env: object, ctx?: ExecutionContext): Promise<void> {
    return runInvocation(`scheduled ${controller.cron}`, async () =>
      real.scheduled(controller, prepare(env) as Bindings, ctx as ExecutionContext),
    );
  },
};
