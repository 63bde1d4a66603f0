export const FAKE_VENDOR_SECRETS: Readonly<{
  MYTRACKER_APP_ID: string;
  MYTRACKER_TOKEN: string;
  ESPUTNIK_API_KEY: string;
  ECOMAIL_API_KEY: string;
  ECOMAIL_SHOP: string;
  VTMARKETING_API_KEY: string;
  YANDEX_METRICA_COUNTER_ID: string;
  YANDEX_METRICA_TOKEN: string;
}>;

export function wranglerDevArgs(options: {
  host?: string;
  port: number;
  inspector?: number;
  persist?: string;
  config?: string;
  scheduled?: boolean;
  vars: Record<string, string>;
}): string[];
