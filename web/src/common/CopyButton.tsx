import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Check, Copy } from 'lucide-react';

/** Copies `text` to the clipboard and says so for a moment. */
export function CopyButton({ text, className = '', testId }: { text: string; className?: string; testId?: string }) {
  const { t } = useTranslation('common');
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className={`btn h-7 px-2 text-xs ${className}`}
      data-testid={testId}
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
  );
}
