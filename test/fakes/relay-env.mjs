// What a local relay needs to talk to the fake vendors, shared by `npm start`, the bench, the soak, the browser
// tests and the workerd tests: the credentials the fakes accept, and the `wrangler dev` command line.

/** The fakes' default credentials (test/fakes/<vendor>.mjs): obviously fake, never real ones. */
export const FAKE_VENDOR_SECRETS = Object.freeze({
  MYTRACKER_APP_ID: '12345',
  MYTRACKER_TOKEN: 'test-mytracker-token',
  ESPUTNIK_API_KEY: 'test-esputnik-key',
  ECOMAIL_API_KEY: 'test-ecomail-key',
  ECOMAIL_SHOP: 'shop.example',
  VTMARKETING_API_KEY: 'test-vtmarketing-key',
  YANDEX_METRICA_COUNTER_ID: '12345678',
  YANDEX_METRICA_TOKEN: 'test-yandex-token',
});

/** `wrangler dev` arguments (after `wrangler`) for a local relay, each var passed as `--var NAME:value`. */
export function wranglerDevArgs({ host = '127.0.0.1', port, inspector, persist, config, scheduled = false, vars }) {
  return [
    'dev',
    '--local',
    '--ip',
    host,
    '--port',
    String(port),
    ...(inspector === undefined ? [] : ['--inspector-port', String(inspector)]),
    ...(persist === undefined ? [] : ['--persist-to', persist]),
    ...(scheduled ? ['--test-scheduled'] : []),
    ...(config === undefined ? [] : ['-c', config]),
    ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
}
