import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import * as f from '../format';
import { INTL_LOCALE, isLanguage } from './index';

/** Formatting functions bound to the current UI language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? i18n.language;
  const locale = isLanguage(lang) ? INTL_LOCALE[lang] : 'en';
  return useMemo(
    () => ({
      locale,
      number: (v: number | null | undefined, digits?: number) => f.formatNumber(locale, v, digits),
      compact: (v: number | null | undefined) => f.formatCompact(locale, v),
      percent: (v: number | null | undefined, digits?: number) => f.formatPercent(locale, v, digits),
      bytes: (v: number | null | undefined, digits?: number) => f.formatBytes(locale, v, digits),
      bytesRate: (v: number | null | undefined) => f.formatBytesRate(locale, v),
      usd: (v: number | null | undefined) => f.formatUSD(locale, v),
      cpu: (v: number | null | undefined) => f.formatCpuMilli(locale, v),
      duration: (v: number | null | undefined) => f.formatDuration(locale, v),
      age: (v: string | Date | null | undefined, now?: number) => f.formatAge(locale, v, now),
      dateTime: (v: string | number | Date | null | undefined) => f.formatDateTime(locale, v),
      shortDateTime: (v: string | number | Date | null | undefined) => f.formatShortDateTime(locale, v),
      time: (v: string | number | Date | null | undefined, withSeconds?: boolean) => f.formatTime(locale, v, withSeconds),
      relative: (v: string | number | Date | null | undefined, now?: number) => f.formatRelative(locale, v, now),
    }),
    [locale],
  );
}

export type Formatters = ReturnType<typeof useFormat>;
