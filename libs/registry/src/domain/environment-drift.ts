import { diffPackages, normalizePackageName, type EnvironmentDrift } from '@cairn/contracts';
import type { RegisteredModelState } from './registered-model';

/**
 * Library drift on the way to Production (ADR 0014). A model lists the packages it cares about in
 * the registered-model tag `cairn.env.watched_packages` (comma- or space-separated, e.g.
 * `scikit-learn, numpy`); a version entering Production whose run recorded other versions of any of
 * them than the current Production version's run carries the differences in its transition event.
 * The transition is never refused: a changed library may be the point of the new version.
 */
export const WATCHED_PACKAGES_TAG = 'cairn.env.watched_packages';

/**
 * Each version's recorded `{package: version}` (the run tags `cairn run` and `cairn reproduce` write, read by
 * `environmentPackagesOf`), for the versions a check compares; null: its run recorded none.
 */
export type RecordedEnvironments = Record<string, Record<string, string> | null>;

/** The watched package names, PEP 503-normalised as recorded environments are. */
export function watchedPackages(state: Pick<RegisteredModelState, 'tags'>): string[] {
  const value = state.tags[WATCHED_PACKAGES_TAG] ?? '';
  return [
    ...new Set(
      value
        .split(/[\s,]+/)
        .filter((n) => n !== '')
        .map(normalizePackageName),
    ),
  ];
}

/**
 * The version a transition of `version` to Production is compared with: the highest other version
 * in Production (the one `get-latest-versions` serves, and the promotion's champion). Null when
 * there is no check to make: another stage, nothing watched, or no Production version yet.
 */
export function productionVersionToCompare(state: RegisteredModelState, version: string, toStage: string): string | null {
  if (toStage !== 'Production' || watchedPackages(state).length === 0) return null;
  const inProduction = Object.values(state.versions)
    .filter((v) => v.stage === 'Production' && v.version !== version)
    .map((v) => Number(v.version))
    .sort((a, b) => b - a);
  return inProduction[0] === undefined ? null : String(inProduction[0]);
}

/**
 * The watched packages whose versions differ between the Production version's environment and the
 * incoming version's (the same comparison as the runs' environment diff), or undefined: nothing to
 * compare with, an environment not recorded, or no watched package changed.
 */
export function environmentDriftOf(
  state: RegisteredModelState,
  version: string,
  toStage: string,
  environments: RecordedEnvironments | undefined,
): EnvironmentDrift | undefined {
  const productionVersion = productionVersionToCompare(state, version, toStage);
  if (productionVersion === null || environments === undefined) return undefined;
  const [production, incoming] = [environments[productionVersion], environments[version]];
  if (!production || !incoming) return undefined;
  const watched = new Set(watchedPackages(state));
  const packages = diffPackages(production, incoming)
    .filter((d) => watched.has(d.name))
    .map((d) => ({ name: d.name, from: d.run_a ?? null, to: d.run_b ?? null }));
  return packages.length === 0 ? undefined : { productionVersion, packages };
}
