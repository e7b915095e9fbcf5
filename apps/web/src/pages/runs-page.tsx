import type { Route } from '../routing/route';

export function RunsPage({ route }: { route: Extract<Route, { page: 'runs' }> }) {
  return <h1 tabIndex={-1}>{route.page}</h1>;
}
