import type { Fake } from './common.mjs';
export type YandexRow = Record<string, string>;
export interface YandexAccepted {
  merge_mode: 'SAVE' | 'UPDATE' | 'APPEND';
  rows: YandexRow[];
}
export interface YandexFake extends Fake<YandexAccepted> {
  /** Order id → latest stored row. */
  orders: Map<string, YandexRow>;
  /** Count of PASSED uploads. */
  uploads: number;
  failedUploads: { merge_mode: string; errors: string[]; csv?: string[][] }[];
}
export function parseCsv(text: string, delimiter?: string): string[][];
export function createFake(opts?: {
  token?: string;
  counterId?: string | number;
  dailyQuota?: number;
  goalIds?: string[];
  timeZone?: string;
  now?: () => number;
}): YandexFake;
