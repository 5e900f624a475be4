import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Schemas } from '../../lib/api';
import { pollInterval } from './logic';

/** The action catalog as the caller may use it (changes only with a deployment). */
export function useActions() {
  return useQuery({ queryKey: ['actions'], queryFn: ({ signal }) => api.actions(signal), staleTime: 10 * 60_000 });
}

/** One command, polled until it ends. */
export function useCommand(cluster: string, id: string | null) {
  return useQuery({
    queryKey: ['command', cluster, id],
    queryFn: ({ signal }) => api.command(cluster, id!, signal),
    enabled: !!id,
    refetchInterval: (q) => pollInterval(q.state.data?.state),
  });
}

export interface CommandFilter {
  state: string;
  action: string;
  cursor?: string;
}

/** A cluster's commands (cluster null: the fleet's), refreshed while any is unfinished. */
export function useCommands(cluster: string | null, f: CommandFilter) {
  return useQuery({
    queryKey: ['commands', cluster, f],
    queryFn: ({ signal }) => {
      const q = { state: f.state || undefined, action: f.action || undefined, limit: 100, cursor: f.cursor || undefined };
      return cluster ? api.commands(cluster, q, signal) : api.fleetCommands(q, signal);
    },
    refetchInterval: (q) => (q.state.data?.items.some((c) => c.state === 'pending' || c.state === 'running') ? 2000 : 15_000),
    placeholderData: (prev) => prev,
  });
}

export function useSubmit(cluster: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas['CommandRequest']) => api.submitCommand(cluster, body),
    onSuccess: (c) => {
      qc.invalidateQueries({ queryKey: ['commands'] });
      qc.invalidateQueries({ queryKey: ['command', cluster, c.id] });
    },
  });
}

export function useCancel(cluster: string, stop = false) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => (stop ? api.stopCommand(cluster, id) : api.cancelCommand(cluster, id)),
    onSettled: (_c, _e, id) => {
      qc.invalidateQueries({ queryKey: ['command', cluster, id] });
      qc.invalidateQueries({ queryKey: ['commands'] });
    },
  });
}

export function useParse(cluster: string) {
  return useMutation({ mutationFn: (line: string) => api.parseCommand(cluster, line) });
}

/** A command's output text, once it has some and the caller may read it. */
export function useOutput(cluster: string, id: string, enabled: boolean) {
  return useQuery({ queryKey: ['command-output', cluster, id], queryFn: () => api.commandOutput(cluster, id), enabled, staleTime: Infinity });
}
