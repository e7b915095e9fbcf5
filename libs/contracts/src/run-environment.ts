/**
 * A run's resolved Python environment, as `cairn run` records it: the full `pip freeze` is an
 * artifact (`cairn/environment.txt`), and the same `{package: version}` map is kept in run tags so
 * that the tracking server can compare two runs' environments without reading artifacts (another
 * context's storage). A map too long for one tag value is split over `cairn.env.packages.0`, `.1`, …
 * (each a JSON object within MLflow 2.x's 5000-character tag limit), so nothing is left out.
 */

/** Prefix of the chunked `{package: version}` tags. */
export const ENVIRONMENT_PACKAGES_TAG = 'cairn.env.packages';
/** sha256 of the recorded freeze: equal hashes, equal environments. */
export const ENVIRONMENT_HASH_TAG = 'cairn.env.freeze_sha256';
export const ENVIRONMENT_ARTIFACT = 'cairn/environment.txt';
const TAG_VALUE_LIMIT = 5000;

/** PEP 503 normalisation: `Scikit_Learn` and `scikit-learn` are one package. */
export const normalizePackageName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

/** A `pip freeze` (plus the `# python X.Y.Z` line `cairn run` writes first) as `{package: version}`. */
export function parseFreeze(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const python = /^#\s*python\s+(\S+)/.exec(raw);
    if (python !== null) {
      versions['python'] = python[1] as string;
      continue;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // `name==1.2`, `name===1.2`, `name @ file:///…` (a direct reference is its version).
    const pinned = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:===?|\s@\s)\s*(.+)$/.exec(line);
    if (pinned !== null) versions[normalizePackageName(pinned[1] as string)] = (pinned[2] as string).trim();
    else versions[line] = '';
  }
  return versions;
}

/** The tags holding `packages`: whole entries, in name order, in as many tags as needed. */
export function environmentPackagesTags(packages: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  let chunk: Record<string, string> = {};
  const flush = () => {
    if (Object.keys(chunk).length === 0) return;
    tags[`${ENVIRONMENT_PACKAGES_TAG}.${Object.keys(tags).length}`] = JSON.stringify(chunk);
    chunk = {};
  };
  for (const name of Object.keys(packages).sort()) {
    const next = { ...chunk, [name]: packages[name] as string };
    if (JSON.stringify(next).length > TAG_VALUE_LIMIT) flush();
    chunk[name] = packages[name] as string;
  }
  flush();
  return tags;
}

/** The recorded `{package: version}` of a run's tags, or undefined when it recorded none. */
export function environmentPackagesOf(tags: readonly { key: string; value: string }[]): Record<string, string> | undefined {
  const chunks = tags.filter((t) => t.key.startsWith(`${ENVIRONMENT_PACKAGES_TAG}.`) && /^\d+$/.test(t.key.slice(ENVIRONMENT_PACKAGES_TAG.length + 1)));
  if (chunks.length === 0) return undefined;
  const packages: Record<string, string> = {};
  for (const chunk of chunks) {
    try {
      const parsed = JSON.parse(chunk.value) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        for (const [name, version] of Object.entries(parsed)) if (typeof version === 'string') packages[name] = version;
    } catch {
      // a hand-edited tag that no longer parses contributes nothing
    }
  }
  return packages;
}

export interface PackageVersionDifference {
  name: string;
  /** Absent: the package is not installed in that run's environment. */
  run_a?: string;
  run_b?: string;
}

/** Packages installed in one environment only, or at different versions, by name. */
export function diffPackages(a: Record<string, string>, b: Record<string, string>): PackageVersionDifference[] {
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return names
    .filter((n) => a[n] !== b[n])
    .map((name) => ({ name, ...(a[name] !== undefined ? { run_a: a[name] } : {}), ...(b[name] !== undefined ? { run_b: b[name] } : {}) }));
}

/** `GET /api/2.0/cairn/runs/environment-diff?run_a=&run_b=`. */
export interface EnvironmentDiffResponse {
  run_a: string;
  run_b: string;
  /** Whether each run recorded its environment; `differences` is given only when both did. */
  recorded: { run_a: boolean; run_b: boolean };
  /** Equal freeze hashes: the environments are identical. */
  identical?: boolean;
  differences?: PackageVersionDifference[];
}
