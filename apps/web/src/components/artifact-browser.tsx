import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { FileInfo } from '@cairn/contracts';
import { artifacts } from '../api/endpoints';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';
import { ancestorsOf, parseDelimited, prettyJson, previewKind } from './artifact-preview';
import { parseMlmodel } from './mlmodel';
import { ErrorMessage, Loading } from './feedback';
import { formatBytes } from './format';

type RunRoute = Extract<Route, { page: 'run' }>;

/** A run's artifacts as a tree (folders listed when opened) beside a preview of the chosen file. */
export function ArtifactBrowser({ route }: { route: RunRoute }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set(ancestorsOf(route.artifact)));
  const select = (path: string) => navigate({ ...route, artifact: path }, { replace: true });
  const toggle = (path: string) => {
    const next = new Set(open);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    setOpen(next);
  };
  return (
    <div className="artifacts">
      <nav className="artifact-tree" aria-label="Artifacts">
        <Folder runId={route.runId} path="" open={open} toggle={toggle} selected={route.artifact} select={select} />
      </nav>
      <Preview runId={route.runId} path={route.artifact} />
    </div>
  );
}

function Folder({
  runId,
  path,
  open,
  toggle,
  selected,
  select,
}: {
  runId: string;
  path: string;
  open: ReadonlySet<string>;
  toggle(path: string): void;
  selected: string;
  select(path: string): void;
}) {
  const listing = useQuery({ queryKey: ['artifacts', runId, path], queryFn: () => artifacts.list(runId, path) });
  if (listing.isPending) return <Loading what="artifacts" />;
  if (listing.error) return <ErrorMessage error={listing.error} />;
  const files: FileInfo[] = [...(listing.data.files ?? [])].sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
  if (files.length === 0) return path === '' ? <p className="muted">This run has no artifacts.</p> : null;
  return (
    <ul>
      {files.map((file) => {
        const name = file.path.split('/').pop() ?? file.path;
        return (
          <li key={file.path}>
            {file.is_dir ? (
              <>
                <button type="button" aria-expanded={open.has(file.path)} onClick={() => toggle(file.path)}>
                  {open.has(file.path) ? '▾' : '▸'} {name}/
                </button>
                {open.has(file.path) ? <Folder runId={runId} path={file.path} open={open} toggle={toggle} selected={selected} select={select} /> : null}
              </>
            ) : (
              <button type="button" aria-current={selected === file.path ? 'true' : undefined} onClick={() => select(file.path)}>
                {name}
                {file.file_size !== undefined ? <span className="muted"> · {formatBytes(file.file_size)}</span> : null}
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function Preview({ runId, path }: { runId: string; path: string }) {
  const size = useQuery({
    queryKey: ['artifact-size', runId, path],
    // The listing of the file's folder has its size (cached from the tree).
    queryFn: async () => {
      const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
      const listing = await artifacts.list(runId, parent);
      return listing.files?.find((f) => f.path === path)?.file_size ?? null;
    },
    enabled: path !== '',
  });
  const kind = previewKind(path, size.data ?? undefined);
  const content = useQuery({
    queryKey: ['artifact', runId, path],
    queryFn: async () => (await artifacts.fetch(runId, path)).blob.text(),
    enabled: path !== '' && size.isSuccess && kind !== 'image' && kind !== 'none',
  });
  const [imageUrl, setImageUrl] = useState<string>();
  useEffect(() => setImageUrl(kind === 'image' && path !== '' ? artifacts.url(runId, path) : undefined), [kind, runId, path]);

  if (path === '') return <div className="preview muted">Choose a file to preview it.</div>;
  const download = (
    <a href={artifacts.url(runId, path)} download={path.split('/').pop()}>
      Download {path}
    </a>
  );
  return (
    <section className="preview" aria-label={`Preview of ${path}`}>
      <p>{download}</p>
      <ErrorMessage error={size.error ?? content.error} />
      {kind === 'image' && imageUrl ? <img src={imageUrl} alt={`Artifact ${path}`} /> : null}
      {kind === 'json' && content.data !== undefined ? <pre>{prettyJson(content.data)}</pre> : null}
      {kind === 'text' && content.data !== undefined ? <pre>{content.data}</pre> : null}
      {kind === 'mlmodel' && content.data !== undefined ? <MlmodelPreview text={content.data} /> : null}
      {kind === 'table' && content.data !== undefined ? <CsvTable text={content.data} tab={/\.tsv$/i.test(path)} label={path} /> : null}
      {kind === 'none' && size.isSuccess ? <p className="muted">No preview for this file.</p> : null}
      {content.isFetching ? <Loading what={path} /> : null}
    </section>
  );
}

/** An MLmodel file: its flavors, signature and facts first, the file itself below. */
function MlmodelPreview({ text }: { text: string }) {
  const summary = parseMlmodel(text);
  const rows: Array<[string, string]> = [
    ['Flavors', summary.flavors.join(', ') || '—'],
    ...(summary.inputs ? [['Inputs', summary.inputs.join(', ')] as [string, string]] : []),
    ...(summary.outputs ? [['Outputs', summary.outputs.join(', ')] as [string, string]] : []),
    ...summary.facts,
  ];
  return (
    <>
      <dl className="facts" aria-label="Model">
        {rows.map(([label, value]) => (
          <div key={label} style={{ display: 'contents' }}>
            <dt>{label}</dt>
            <dd className="mono">{value}</dd>
          </div>
        ))}
      </dl>
      <pre>{text}</pre>
    </>
  );
}

const CSV_PREVIEW_ROWS = 500;

/** The first rows of a CSV/TSV artifact as a table, its first row as the header. */
function CsvTable({ text, tab, label }: { text: string; tab: boolean; label: string }) {
  const { rows, truncated } = parseDelimited(text, tab ? '\t' : ',', CSV_PREVIEW_ROWS + 1);
  const [header = [], ...body] = rows;
  return (
    <>
      <table className="data" aria-label={`Table ${label}`}>
        <thead>
          <tr>
            {header.map((cell, i) => (
              <th scope="col" key={i}>
                {cell}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {body.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (
                <td key={i} className="mono">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {truncated ? <p className="muted">The first {CSV_PREVIEW_ROWS} rows; download the file for the rest.</p> : null}
    </>
  );
}
