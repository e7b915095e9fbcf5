import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError, onSignInNeeded } from './api/client';
import { useCan } from './auth/use-can';
import { Link } from './components/link';
import { useTheme, type ThemeChoice } from './components/theme';
import { ComparePage } from './pages/compare-page';
import { ExperimentsPage } from './pages/experiments-page';
import { ModelPage } from './pages/model-page';
import { OperationsPage } from './pages/operations-page';
import { ModelsPage } from './pages/models-page';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import { WebhookPage, WebhooksPage } from './pages/webhooks-page';
import type { Route } from './routing/route';
import { useRoute } from './routing/use-route';

/**
 * Who is signed in. Browser sessions exist only with OIDC (`/auth/session` answers 401 without
 * one); elsewhere the route answers 501, and a browser asked for a password (HTTP Basic) answers
 * the server's challenge itself.
 */
type Session = { kind: 'signed-in'; username: string } | { kind: 'signed-out' } | { kind: 'no-browser-sign-in' };

function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async (): Promise<Session> => {
      try {
        const session = await api.get<{ user: { username: string } }>('auth/session');
        return { kind: 'signed-in', username: session.user.username };
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return { kind: 'signed-out' };
        if (error instanceof ApiError && (error.status < 500 || error.status === 501)) return { kind: 'no-browser-sign-in' };
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

export function App() {
  const route = useRoute();
  const [theme, setTheme] = useTheme();
  const session = useSession();
  const [signInNeeded, setSignInNeeded] = useState(false);
  useEffect(() => onSignInNeeded(() => setSignInNeeded(true)), []);
  const title = titleOf(route);
  useEffect(() => {
    document.title = `${title} · Cairn`;
    // A new page starts reading at its heading (screen readers and keyboard users). Only a new
    // page: a filter or sort changes the URL too, and must not take the focus from the box being typed in.
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [title]);
  const returnTo = `/${window.location.hash}`;
  // Webhooks are listed to admins only (the server's rule): nobody else is offered a page of refusals.
  const can = useCan();

  return (
    <>
      {/* Not a plain #main link: the hash is the router's. */}
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <Link to={{ page: 'experiments', search: '', view: 'active', token: '' }} className="brand">
          Cairn
        </Link>
        <nav aria-label="Main">
          <Link
            to={{ page: 'experiments', search: '', view: 'active', token: '' }}
            className={['experiments', 'runs', 'run', 'compare', 'not-found'].includes(route.page) ? 'active' : ''}
          >
            Experiments
          </Link>
          <Link to={{ page: 'models', search: '', token: '' }} className={route.page === 'models' || route.page === 'model' ? 'active' : ''}>
            Models
          </Link>
          {can.admin ? (
            <Link to={{ page: 'webhooks' }} className={route.page === 'webhooks' || route.page === 'webhook' ? 'active' : ''}>
              Webhooks
            </Link>
          ) : null}
          <Link to={{ page: 'operations' }} className={route.page === 'operations' ? 'active' : ''}>
            Operations
          </Link>
        </nav>
        <div className="topbar-end">
          {session.data?.kind === 'signed-in' ? (
            <span className="muted">
              Signed in as <strong>{session.data.username}</strong>
            </span>
          ) : null}
          <label className="theme-choice">
            Theme{' '}
            <select value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)}>
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </div>
      </header>
      {signInNeeded && session.data?.kind !== 'signed-in' ? (
        <div className="signin" role="alert">
          <strong>Sign in to see this.</strong> The server asks who you are.{' '}
          {session.data?.kind === 'signed-out' ? (
            <a className="button primary" href={api.url('auth/login', { return_to: returnTo })}>
              Sign in
            </a>
          ) : (
            <span>This server signs in with a user name and password: reload the page and give them when the browser asks.</span>
          )}
        </div>
      ) : null}
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'experiments':
      return <ExperimentsPage route={route} />;
    case 'runs':
      return <RunsPage key={route.experimentId} route={route} />;
    case 'run':
      return <RunPage key={route.runId} route={route} />;
    case 'compare':
      return <ComparePage route={route} />;
    case 'webhooks':
      return <WebhooksPage />;
    case 'operations':
      return <OperationsPage />;
    case 'webhook':
      return <WebhookPage key={route.webhookId} route={route} />;
    case 'models':
      return <ModelsPage route={route} />;
    case 'model':
      return <ModelPage key={route.name} route={route} />;
    case 'not-found':
      return (
        <section>
          <h1 tabIndex={-1}>Page not found</h1>
          <p>
            Nothing lives at <code>#{route.hash}</code>. <Link to={{ page: 'experiments', search: '', view: 'active', token: '' }}>Go to the experiments</Link>.
          </p>
        </section>
      );
  }
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'experiments':
      return 'Experiments';
    case 'runs':
      return `Experiment ${route.experimentId}`;
    case 'run':
      return `Run ${route.runId}`;
    case 'compare':
      return `Comparing ${route.runIds.length} runs`;
    case 'webhooks':
      return 'Webhooks';
    case 'operations':
      return 'Operations';
    case 'webhook':
      return `Webhook ${route.webhookId}`;
    case 'models':
      return 'Models';
    case 'model':
      return route.version === '' ? route.name : `${route.name} v${route.version}`;
    case 'not-found':
      return 'Not found';
  }
}
