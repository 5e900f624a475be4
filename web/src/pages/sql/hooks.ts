import { useMutation, useQuery } from '@tanstack/react-query';
import { api, type Schemas } from '../../lib/api';
import { saveFile } from '../../lib/download';
import { downloadName } from './logic';

export function useSqlSchema() {
  return useQuery({ queryKey: ['sql-schema'], queryFn: ({ signal }) => api.sqlSchema(signal), staleTime: 5 * 60_000 });
}

export function useSqlExamples() {
  return useQuery({ queryKey: ['sql-examples'], queryFn: ({ signal }) => api.sqlExamples(signal), staleTime: 5 * 60_000 });
}

export function useRunSql() {
  return useMutation({ mutationFn: (body: Schemas['SQLRequest']) => api.sql(body) });
}

/** Fetches the result as a file and hands it to the browser as a download. */
export function useDownload() {
  return useMutation({
    mutationFn: async ({ body, format }: { body: Schemas['SQLRequest']; format: 'csv' | 'parquet' }) => {
      const { blob, filename } = await api.sqlDownload(body, format);
      saveFile(blob, filename ?? downloadName(format));
      return { size: blob.size };
    },
  });
}
