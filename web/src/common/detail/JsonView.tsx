import { useTranslation } from 'react-i18next';
import { CopyButton } from '../CopyButton';

/** Pretty JSON (audit parameters), with copy. */
export function JsonView({ value, maxHeight = 420 }: { value: unknown; maxHeight?: number }) {
  const text = JSON.stringify(value, null, 2);
  return (
    <div className="relative">
      <CopyButton text={text} className="absolute top-2 right-2" />
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
