import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Download } from 'lucide-react';
import { CopyButton } from '../CopyButton';
import { saveFile } from '../../lib/download';
import { toYaml } from './yaml';

/**
 * The object as YAML, with copy and download. What it shows is the API's
 * detail: stripped by the agent (no Secret or ConfigMap data, literal env
 * values redacted) before it ever reached the lake.
 */
export default function YamlView({ value, fileName, maxHeight = 560 }: { value: unknown; fileName: string; maxHeight?: number }) {
  const { t } = useTranslation('common');
  const text = useMemo(() => toYaml(value), [value]);
  return (
    <div className="space-y-2">
      <div className="flex justify-end gap-2">
        <CopyButton text={text} testId="yaml-copy" />
        <button type="button" className="btn h-7 px-2 text-xs" data-testid="yaml-download" onClick={() => saveFile(new Blob([text], { type: 'application/yaml' }), fileName)}>
          <Download size={12} aria-hidden />
          {t('action.download')}
        </button>
      </div>
      <pre className="overflow-auto rounded-md border border-line bg-surface-2 p-3 font-mono text-xs leading-relaxed" style={{ maxHeight }} tabIndex={0} data-testid="yaml-view">
        {text}
      </pre>
    </div>
  );
}
