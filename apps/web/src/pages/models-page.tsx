import type { Route } from '../routing/route';

export function ModelsPage({ route }: { route: Extract<Route, { page: 'models' }> }) {
  return <h1 tabIndex={-1}>{route.page}</h1>;
}
