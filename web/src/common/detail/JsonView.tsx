import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Check, Copy } from 'lucide-react';

/** Pretty JSON of the stripped object (Secrets and literal env values never reach it). */
export function JsonView({ value, maxHeight = 420 }: { value: unknown; maxHeight?: number }) {
  const { t } = useTranslation('common');
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(value, null, 2);
  return (
    <div className="relative">
      <button
        type="button"
        className="btn absolute top-2 right-2 h-7 px-2 text-xs"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? <Check size={12} aria-hidden /> : <Copy size={12} aria-hidden />}
        {copied ? t('action.copied') : t('action.copy')}
      </button>
      <pre className="overflow-auto rounded-md border border-line bg-surface-2 p-3 text-xs leading-relaxed" style={{ maxHeight }} tabIndex={0}>
        {text}
      </pre>
    </div>
  );
}

export function LogTail({ text }: { text?: string | null }) {
  const { t } = useTranslation('common');
  if (!text) return <p className="text-[13px] text-muted">{t('detail.noLogs')}</p>;
  return (
    <pre className="max-h-80 overflow-auto rounded-md border border-line bg-[#0d1117] p-3 text-xs leading-relaxed text-[#c9d1d9]" tabIndex={0} data-testid="log-tail">
      {text}
    </pre>
  );
}
