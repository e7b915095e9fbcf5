import { useQuery } from '@tanstack/react-query';
import type { Permission, ResourceType } from '@cairn/contracts';
import { api } from '../api/client';
import { allows, EVERYTHING, type Grants } from './permissions';

/**
 * Whether the signed-in user may take an action, so a page offers only those (issue 19: "hides
 * actions the user may not take"). Nothing is offered until the grants are known; a server that
 * cannot say (an older one, a failed request) gets every action offered, and refuses as it must.
 */
export interface Can {
  (type: ResourceType, id: string, needed: Permission): boolean;
  /** Admin-only routes: webhook tests, the reaper's and GC's reports. */
  admin: boolean;
}

export function useCan(): Can {
  const grants = useQuery({
    queryKey: ['current-user-permissions'],
    queryFn: async (): Promise<Grants> => {
      const answer = await api.get<Partial<Grants>>('api/2.0/mlflow/users/current/permissions');
      if (answer.default_permission === undefined) return EVERYTHING;
      return { is_admin: answer.is_admin ?? false, default_permission: answer.default_permission, permissions: answer.permissions ?? [] };
    },
    staleTime: 60_000,
    retry: false,
  });
  const known = grants.data ?? (grants.isError ? EVERYTHING : undefined);
  const can = (type: ResourceType, id: string, needed: Permission) => known !== undefined && allows(known, type, id, needed);
  return Object.assign(can, { admin: known?.is_admin ?? false });
}
