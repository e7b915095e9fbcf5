import type { Route } from '../routing/route';

export function ModelPage({ route }: { route: Extract<Route, { page: 'model' }> }) {
  return <h1 tabIndex={-1}>{route.page}</h1>;
}
