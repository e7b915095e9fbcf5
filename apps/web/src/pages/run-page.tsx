import type { Route } from '../routing/route';

export function RunPage({ route }: { route: Extract<Route, { page: 'run' }> }) {
  return <h1 tabIndex={-1}>{route.page}</h1>;
}
