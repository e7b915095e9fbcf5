import { useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import type { Run } from '@cairn/contracts';
import { runs } from '../api/endpoints';
import { useCan } from '../auth/use-can';
import { ArtifactBrowser } from '../components/artifact-browser';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatDuration, formatTime, formatValue } from '../components/format';
import { Link } from '../components/link';
import { TagEditor } from '../components/tag-editor';
import { MetricChart } from '../charts/metric-chart';
import { formatHash, RUN_TABS, type Route, type RunTab } from '../routing/route';
import { PARENT_RUN_TAG, tagOf } from '../runs/run-rows';
import { DataTable } from '../components/data-table';

type RunRoute = Extract<Route, { page: 'run' }>;

const TAB_LABELS: Record<RunTab, string> = {
  overview: 'Overview',
  params: 'Parameters',
  metrics: 'Metrics',
  tags: 'Tags',
  artifacts: 'Artifacts',
  models: 'Logged models',
  history: 'History',
};
/** MLflow 2 records each `log_model` in this tag (JSON: artifact path, flavors, time); MLflow 3 logs LoggedModels too. */
const LOG_MODEL_HISTORY_TAG = 'mlflow.log-model.history';
/** Where people record the data a run trained on: DVC's hash (Cairn's SDK sets both names). */
const DATA_HASH_TAGS = ['cairn.dvc.data_hash', 'dvc_data_hash', 'mlflow.data.hash'];
/** More charts than this on one page are shown on request (each one is a request and a canvas). */
const CHARTS_AT_ONCE = 12;

/** One run: overview, params, metrics with charts, editable tags and its artifacts. */
export function RunPage({ route }: { route: RunRoute }) {
  const query = useQuery({ queryKey: ['run', route.runId], queryFn: () => runs.get(route.runId) });
  const run = query.data?.run;
  const name = run?.info.run_name || route.runId;
  return (
    <section aria-labelledby="run-title">
      <p className="muted">
        <Link to={{ page: 'experiments', search: '', view: 'active', token: '' }}>Experiments</Link> /{' '}
        <Link
          to={{
            page: 'runs',
            experimentId: route.experimentId,
            runs: { filter: '', orderBy: 'attributes.start_time DESC', columns: [], view: 'active', token: '' },
          }}
        >
          Experiment {route.experimentId}
        </Link>{' '}
        / run
      </p>
      <h1 id="run-title" tabIndex={-1}>
        {name} {run ? <span className={`status ${run.info.status}`}>{run.info.status}</span> : null}
      </h1>
      <ErrorMessage error={query.error} />
      {query.isPending ? <Loading what="the run" /> : null}
      {run ? (
        <>
          <nav className="tabs" aria-label="Run sections">
            {RUN_TABS.map((tab) => (
              <a
                key={tab}
                href={formatHash({ ...route, tab, artifact: tab === 'artifacts' ? route.artifact : '' })}
                aria-current={route.tab === tab ? 'page' : undefined}
              >
                {TAB_LABELS[tab]}
                {tab === 'params' ? ` (${run.data.params?.length ?? 0})` : tab === 'metrics' ? ` (${run.data.metrics?.length ?? 0})` : ''}
              </a>
            ))}
          </nav>
          <RunTabContent route={route} run={run} />
        </>
      ) : null}
    </section>
  );
}

function RunTabContent({ route, run }: { route: RunRoute; run: Run }) {
  switch (route.tab) {
    case 'overview':
      return <Overview run={run} />;
    case 'params':
      return <KeyValueTable label="Parameters" rows={(run.data.params ?? []).map((p) => [p.key, p.value])} empty="This run logged no parameters." />;
    case 'metrics':
      return <Metrics run={run} />;
    case 'tags':
      return <Tags run={run} />;
    case 'artifacts':
      return <ArtifactBrowser route={route} />;
    case 'models':
      return <LoggedModels route={route} run={run} />;
    case 'history':
      return <RunHistory run={run} />;
  }
}

function Overview({ run }: { run: Run }) {
  const tag = (key: string) => tagOf(run, key);
  const parent = tag(PARENT_RUN_TAG);
  const commit = tag('mlflow.source.git.commit');
  const repo = tag('mlflow.source.git.repoURL');
  const dataHash = DATA_HASH_TAGS.map(tag).find((v) => v !== undefined);
  const children = useQuery({ queryKey: ['children', run.info.run_id], queryFn: () => runs.children(run.info.experiment_id, run.info.run_id) });
  const facts: Array<[string, ReactNode]> = [
    ['Run ID', <code key="id">{run.info.run_id}</code>],
    ['Status', run.info.status],
    ['Started', formatTime(run.info.start_time)],
    ['Ended', formatTime(run.info.end_time)],
    ['Duration', formatDuration(run.info.start_time, run.info.end_time)],
    ['User', run.info.user_id || '—'],
    ['Source', [tag('mlflow.source.type'), tag('mlflow.source.name')].filter(Boolean).join(' · ') || '—'],
    ['Git commit', commit ? <code key="commit">{commit}</code> : '—'],
    ...(repo ? [['Git repository', repo] as [string, ReactNode]] : []),
    ...(tag('mlflow.source.git.branch') ? [['Git branch', tag('mlflow.source.git.branch')] as [string, ReactNode]] : []),
    ['Data hash', dataHash ? <code key="hash">{dataHash}</code> : '—'],
    [
      'Parent run',
      parent ? (
        <Link key="parent" to={{ page: 'run', experimentId: run.info.experiment_id, runId: parent, tab: 'overview', artifact: '' }}>
          {parent}
        </Link>
      ) : (
        '—'
      ),
    ],
    ['Lifecycle', run.info.lifecycle_stage],
    ['Artifact location', <code key="uri">{run.info.artifact_uri}</code>],
  ];
  const datasets = run.inputs.dataset_inputs ?? [];
  const childRuns = children.data?.runs ?? [];
  return (
    <div>
      <dl className="facts">
        {facts.map(([label, value]) => (
          <div key={label} style={{ display: 'contents' }}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {datasets.length > 0 ? (
        <>
          <h2>Datasets</h2>
          <KeyValueTable
            label="Datasets"
            rows={datasets.map((d) => [d.dataset.name, `${d.dataset.digest} · ${d.dataset.source_type}${d.dataset.source ? ` · ${d.dataset.source}` : ''}`])}
            empty=""
          />
        </>
      ) : null}
      <h2>Child runs</h2>
      <ErrorMessage error={children.error} />
      {childRuns.length === 0 ? (
        <p className="muted">{children.isPending ? 'Loading…' : 'None.'}</p>
      ) : (
        <ul>
          {childRuns.map((child) => (
            <li key={child.info.run_id}>
              <Link to={{ page: 'run', experimentId: child.info.experiment_id, runId: child.info.run_id, tab: 'overview', artifact: '' }}>
                {child.info.run_name || child.info.run_id}
              </Link>{' '}
              <span className={`status ${child.info.status}`}>{child.info.status}</span>
            </li>
          ))}
        </ul>
      )}
      <h2>Latest metrics</h2>
      <KeyValueTable label="Latest metrics" rows={(run.data.metrics ?? []).map((m) => [m.key, formatValue(m.value)])} empty="This run logged no metrics." />
    </div>
  );
}

function Metrics({ run }: { run: Run }) {
  const [all, setAll] = useState(false);
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  if (metrics.length === 0) return <Empty>This run logged no metrics.</Empty>;
  const charted = all ? metrics : metrics.slice(0, CHARTS_AT_ONCE);
  return (
    <div>
      <KeyValueTable label="Metrics" rows={metrics.map((m) => [m.key, `${formatValue(m.value)} (step ${m.step})`])} empty="" />
      <h2>Charts</h2>
      <div className="charts">
        {charted.map((m) => (
          <MetricChart key={m.key} runId={run.info.run_id} metricKey={m.key} />
        ))}
      </div>
      {metrics.length > charted.length ? (
        <button type="button" onClick={() => setAll(true)} style={{ marginTop: '0.75rem' }}>
          Chart all {metrics.length} metrics
        </button>
      ) : null}
    </div>
  );
}

interface LegacyModelEntry {
  artifact_path?: string;
  flavors?: Record<string, unknown>;
  utc_time_created?: string;
}

function legacyModels(run: Run): LegacyModelEntry[] {
  try {
    const parsed: unknown = JSON.parse(tagOf(run, LOG_MODEL_HISTORY_TAG) ?? '[]');
    return Array.isArray(parsed) ? (parsed as LegacyModelEntry[]) : [];
  } catch {
    return [];
  }
}

/** The models the run logged: MLflow 3's LoggedModels (with their registrations), and MLflow 2's log_model history. */
function LoggedModels({ route, run }: { route: RunRoute; run: Run }) {
  const logged = useQuery({
    queryKey: ['logged-models', run.info.run_id],
    queryFn: () => runs.loggedModels(run.info.experiment_id, run.info.run_id),
  });
  const models = logged.data?.models ?? [];
  const legacy = legacyModels(run);
  const artifactLink = (path: string) => formatHash({ ...route, tab: 'artifacts', artifact: path });
  return (
    <div>
      <ErrorMessage error={logged.error} />
      {logged.isPending ? <Loading what="logged models" /> : null}
      {!logged.isPending && models.length === 0 && legacy.length === 0 ? <Empty>This run logged no models.</Empty> : null}
      {models.length > 0 ? (
        <DataTable label="Logged models" headers={['Name', 'Model ID', 'Status', 'Type', 'Registered as', 'Created']}>
          {models.map(({ info }) => (
            <tr key={info.model_id}>
              <td>{info.name}</td>
              <td className="mono">{info.model_id}</td>
              <td>{info.status}</td>
              <td>{info.model_type ?? '—'}</td>
              <td>
                {(info.registrations ?? []).map((r, i) => (
                  <span key={`${r.name}/${r.version}`}>
                    {i > 0 ? ', ' : ''}
                    <Link to={{ page: 'model', name: r.name, version: r.version }}>
                      {r.name} v{r.version}
                    </Link>
                  </span>
                ))}
              </td>
              <td>{formatTime(info.creation_timestamp_ms)}</td>
            </tr>
          ))}
        </DataTable>
      ) : null}
      {legacy.length > 0 ? (
        <>
          <h2>Logged with log_model</h2>
          <DataTable label="Models in the run's artifacts" headers={['Artifact path', 'Flavors', 'Logged at (UTC)']}>
            {legacy.map((entry, i) => (
              <tr key={`${entry.artifact_path ?? ''}-${i}`}>
                <td>{entry.artifact_path ? <a href={artifactLink(`${entry.artifact_path}/MLmodel`)}>{entry.artifact_path}</a> : '—'}</td>
                <td className="mono">{Object.keys(entry.flavors ?? {}).join(', ')}</td>
                <td>{entry.utc_time_created ?? '—'}</td>
              </tr>
            ))}
          </DataTable>
        </>
      ) : null}
    </div>
  );
}

function Tags({ run }: { run: Run }) {
  const system = (run.data.tags ?? []).filter((t) => t.key.startsWith('mlflow.'));
  const can = useCan();
  return (
    <div>
      <TagEditor
        label="Tags"
        tags={run.data.tags ?? []}
        hideSystem
        editable={can('experiment', run.info.experiment_id, 'EDIT')}
        invalidates={['run', run.info.run_id]}
        setTag={(key, value) => runs.setTag(run.info.run_id, key, value)}
        deleteTag={(key) => runs.deleteTag(run.info.run_id, key)}
      />
      <h2>Set by MLflow</h2>
      <KeyValueTable label="System tags" rows={system.map((t) => [t.key, t.value])} empty="None." />
    </div>
  );
}

/** Who changed the run, when and how, newest first; metric batches on request (they are most of a long run's changes). */
function RunHistory({ run }: { run: Run }) {
  const [includeMetrics, setIncludeMetrics] = useState(false);
  const [tokens, setTokens] = useState<string[]>(['']);
  const token = tokens.at(-1) ?? '';
  const history = useQuery({
    queryKey: ['run-history', run.info.run_id, includeMetrics, token],
    queryFn: () => runs.changes(run.info.run_id, includeMetrics, token),
  });
  return (
    <section aria-labelledby="run-history-title">
      <h2 id="run-history-title">History</h2>
      <label>
        <input
          type="checkbox"
          checked={includeMetrics}
          onChange={(e) => {
            setIncludeMetrics(e.target.checked);
            setTokens(['']);
          }}
        />{' '}
        Show metric batches
      </label>
      {history.isPending ? <Loading what="the run's history" /> : null}
      <ErrorMessage error={history.error} />
      {history.data ? (
        history.data.changes.length === 0 ? (
          <Empty>No changes on this page.</Empty>
        ) : (
          <DataTable label="Changes of this run, newest first" headers={['#', 'When (UTC)', 'Who', 'What']}>
            {history.data.changes.map((change) => (
              <tr key={change.event_id}>
                <td>{change.sequence}</td>
                <td>{formatTime(Date.parse(change.time))}</td>
                <td>{change.actor}</td>
                <td title={change.type}>{change.summary}</td>
              </tr>
            ))}
          </DataTable>
        )
      ) : null}
      <div className="pager">
        <button type="button" className="button" disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          className="button"
          disabled={history.data?.next_page_token === undefined}
          onClick={() => history.data?.next_page_token !== undefined && setTokens([...tokens, history.data.next_page_token])}
        >
          Older
        </button>
      </div>
    </section>
  );
}

function KeyValueTable({ label, rows, empty }: { label: string; rows: Array<[string, string]>; empty: string }) {
  const [search, setSearch] = useState('');
  if (rows.length === 0) return empty === '' ? null : <p className="muted">{empty}</p>;
  const shown =
    search === '' ? rows : rows.filter(([k, v]) => k.toLowerCase().includes(search.toLowerCase()) || v.toLowerCase().includes(search.toLowerCase()));
  return (
    <div>
      {rows.length > 10 ? (
        <input
          type="search"
          aria-label={`Search ${label.toLowerCase()}`}
          placeholder={`Search ${rows.length} ${label.toLowerCase()}`}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      ) : null}
      <DataTable label={label} headers={['Name', 'Value']}>
        {shown.map(([key, value]) => (
          <tr key={key}>
            <td className="mono">{key}</td>
            <td className="mono">{value}</td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
