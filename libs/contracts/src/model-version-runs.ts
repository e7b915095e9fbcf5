/**
 * Which runs a registered model version references: the one rule behind garbage collection (a
 * referenced run is never purged, nor its artifacts collected), lineage and promotion, in every
 * context that learns of versions from the registry's events.
 */

/** A model version as the registry's events and records carry it. */
export interface ModelVersionRunLinks {
  runId: string | null;
  source: string;
}

/**
 * The runs a version references, its own run first: its `run_id`, the runs its `source` points
 * into, and the source run of its 3.x logged model (`loggedModelRun`, which the caller looks up in
 * its own projection of tracking's logged models). No duplicates.
 */
export function runsReferencedByModelVersion(version: ModelVersionRunLinks, loggedModelRun: string | null = null): string[] {
  const ids = new Set<string>();
  if (version.runId !== null && version.runId !== '') ids.add(version.runId);
  for (const id of runIdsInSource(version.source)) ids.add(id);
  if (loggedModelRun !== null && loggedModelRun !== '') ids.add(loggedModelRun);
  return [...ids];
}

/** Whether the version references the run (see `runsReferencedByModelVersion`). */
export function modelVersionReferencesRun(version: ModelVersionRunLinks, runId: string, loggedModelRun: string | null = null): boolean {
  return runsReferencedByModelVersion(version, loggedModelRun).includes(runId);
}

/**
 * Run ids a model version source points into: `runs:/<id>/…`, and any artifact path laid out as
 * `…/<experiment id>/<run id>/…` (`mlflow-artifacts:/1/<id>/artifacts/model`, or the same under an
 * S3/file root). Percent-encoding is undone first. Matching too much only keeps a run longer.
 */
export function runIdsInSource(source: string): string[] {
  let decoded = source;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  const ids = new Set<string>();
  const direct = /^runs:\/+([0-9a-f]{32})(?:\/|$)/.exec(decoded)?.[1];
  if (direct !== undefined) ids.add(direct);
  for (const match of decoded.matchAll(/(?:^|\/)\d+\/([0-9a-f]{32})(?=\/|$)/g)) if (match[1] !== undefined) ids.add(match[1]);
  return [...ids];
}

/**
 * SQL over stored versions (`<alias>.run_id`, `<alias>.source`) true for every version that may
 * reference the run bound at `runParam`: a cheap first cut, a superset (a source names a run either
 * literally or percent-encoded), after which `modelVersionReferencesRun` decides.
 */
export function mayReferenceRunSql(alias: string, runParam: string): string {
  return `(${alias}.run_id = ${runParam} OR strpos(${alias}.source, ${runParam}) > 0 OR strpos(${alias}.source, '%') > 0)`;
}
