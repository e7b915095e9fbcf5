import { fromQuery, objectBody } from '../wire/request';
import type { AccessRequest, ResourceRef } from './route-access';

/**
 * Shared pieces of the contexts' locators (each context's `api/locators.ts`): how an experiment id
 * is named in a grant and what "every resource of a type" is. (The bounded cache for mappings that
 * never change — a run's experiment — is platform's `BoundedCache`.)
 */

/**
 * Where a handler reads its input, for its locator to read the same: a POST's JSON body (never the
 * query string), or a GET's query string as `fromQuery` hands it over, with the same list fields.
 */
export type RequestInput = (request: AccessRequest) => Record<string, unknown>;
export const bodyInput: RequestInput = (request) => objectBody(request.body);
export const queryInput =
  (...listFields: string[]): RequestInput =>
  (request) =>
    fromQuery(request.query, listFields);

/** A grant, scope or request naming every resource of its type (token scopes use the same spelling). */
export const EVERY_RESOURCE = '*';

/**
 * The id an experiment is granted under. Postgres reads `007` as experiment 7, so a request naming
 * `007` must be checked against the grants on `7`, or a leading zero would step around a grant.
 */
export function canonicalExperimentId(id: string): string {
  return /^\d{1,18}$/.test(id) ? BigInt(id).toString() : id;
}

export const experimentRef = (id: string): ResourceRef => ({ type: 'experiment', id: canonicalExperimentId(id) });

/** Resource refs without repeats, in first-seen order (a bulk request naming ten runs of one experiment checks it once). */
export function distinctRefs(refs: readonly ResourceRef[]): ResourceRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.type}:${r.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
