import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError, onSignInNeeded } from './api/client';
import { Link } from './components/link';
import { useTheme, type ThemeChoice } from './components/theme';
import { ExperimentsPage } from './pages/experiments-page';
import { ModelPage } from './pages/model-page';
import { ModelsPage } from './pages/models-page';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import type { Route } from './routing/route';
import { useRoute } from './routing/use-route';

interface Session {
  user: { username: string; is_admin: boolean };
  csrf_token: string;
}

/** Who is signed in (browser sessions exist only with OIDC sign-in; elsewhere this is absent). */
function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        return await api.get<Session>('auth/session');
      } catch (error) {
        // 401: nobody signed in; 501: the server has no browser sign-in (no OIDC).
        if (error instanceof ApiError && (error.status < 500 || error.status === 501)) return null;
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
  useEffect(() => {
    document.title = `${titleOf(route)} · Cairn`;
    // A new page starts reading at its heading (screen readers and keyboard users).
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [route]);
  const returnTo = `/${window.location.hash}`;

  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header className="topbar">
        <Link to={{ page: 'experiments', search: '', view: 'active', token: '' }} className="brand">
          Cairn
        </Link>
        <nav aria-label="Main">
          <Link
            to={{ page: 'experiments', search: '', view: 'active', token: '' }}
            className={route.page === 'models' || route.page === 'model' ? '' : 'active'}
          >
            Experiments
          </Link>
          <Link to={{ page: 'models', search: '', token: '' }} className={route.page === 'models' || route.page === 'model' ? 'active' : ''}>
            Models
          </Link>
        </nav>
        <div className="topbar-end">
          {session.data ? (
            <span className="muted">
              Signed in as <strong>{session.data.user.username}</strong>
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
      {signInNeeded && !session.data ? (
        <div className="signin" role="alert">
          <strong>Sign in to see this.</strong> The server asks who you are.{' '}
          <a className="button primary" href={api.url('auth/login', { return_to: returnTo })}>
            Sign in
          </a>{' '}
          <span className="muted">(A server with password sign-in asks through the browser: reload the page to be prompted.)</span>
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
    case 'models':
      return 'Models';
    case 'model':
      return route.version === '' ? route.name : `${route.name} v${route.version}`;
    case 'not-found':
      return 'Not found';
  }
}
