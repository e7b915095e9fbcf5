import type { Permission, ResourceType } from './access';
import { experimentRef } from './locating';

/**
 * Route access tables: every HTTP handler of every context declares, in one table beside its
 * controller, who may call it. The identity context enforces the tables; a handler without an entry
 * does not compile (the table is typed by the controller's methods), and a route served without a
 * table is refused at run time and fails a test. Contexts own their tables because only they know
 * where a request names its resource (a run id means an experiment, a version means a model).
 */

/** The parts of a request an access rule may read. */
export interface AccessRequest {
  params: Readonly<Record<string, string | undefined>>;
  query: Readonly<Record<string, unknown>>;
  body: unknown;
  /**
   * The raw request URL (path and query) as the server received it. Handlers that read their input
   * from it (the artifact proxy takes its path from the raw URL, not the router's decoded parameter)
   * need their locators to read the same bytes.
   */
  url?: string;
}

/** A read-only query port for locators, over the context's own tables (never another's). */
export interface AccessLookup {
  query<R>(text: string, values: unknown[]): Promise<R[]>;
}

/** One resource a request touches. */
export interface ResourceRef {
  type: ResourceType;
  id: string;
  /** What this resource needs when it is not the entry's `need` (a version's source run: READ). */
  need?: Permission;
}

/**
 * Where a request names its resources. Returns the resources whose permission decides, or an empty
 * list when the request names none or names unknown ones (the handler then rejects it as invalid or
 * not found, with the same answer for every caller). By default the caller needs the permission on
 * every resource returned (a bulk read of several runs); `anyOf` makes one suffice (an artifact of a
 * registered model's version is readable through its experiment or through the model).
 */
export type Locator = (request: AccessRequest, lookup: AccessLookup) => Promise<ResourceRef[]> | ResourceRef[];

/** A creation route: its caller gets MANAGE on what it created (read from the response). */
export interface Creates {
  type: ResourceType;
  idOf(response: unknown): string | undefined;
}

/**
 * What a successful call changes about grants: a rename carries the resource's grants to its new
 * name; a deletion drops them (a registered model's name can be taken again by someone else).
 */
export type GrantEffect =
  | { kind: 'rename'; type: ResourceType; from(request: AccessRequest): string | undefined; to(request: AccessRequest): string | undefined }
  | { kind: 'delete'; type: ResourceType; id(request: AccessRequest): string | undefined };

export type RouteAccess =
  /** Probes, version, sign-in: no credentials needed. */
  | { kind: 'public' }
  /** Any signed-in caller; results are filtered by what it may read (searches, creations, self-service). */
  | { kind: 'authenticated'; creates?: Creates; serving?: boolean }
  /** Server-wide operations: user management, GC, the reaper, retention, webhooks, dead letters. */
  | { kind: 'admin' }
  /** Needs `need` on the resource the request names. `serving` admits serving tokens. */
  | { kind: 'resource'; need: Permission; locate: Locator; serving?: boolean; anyOf?: boolean; effect?: GrantEffect };

type HandlerName<C> = { [K in keyof C]: C[K] extends (...args: never[]) => unknown ? K : never }[keyof C] & string;

/** One entry per public method of the controller: a new handler without one is a type error. */
export type AccessTable<C> = { readonly [K in HandlerName<C>]: RouteAccess };

export const PUBLIC: RouteAccess = { kind: 'public' };
export const AUTHENTICATED: RouteAccess = { kind: 'authenticated' };
export const ADMIN_ONLY: RouteAccess = { kind: 'admin' };

/** Needs `need` on the resource(s) `locate` finds in the request. */
export const requires = (need: Permission, locate: Locator, options: { serving?: boolean; anyOf?: boolean; effect?: GrantEffect } = {}): RouteAccess => ({
  kind: 'resource',
  need,
  locate,
  ...options,
});

/** MLflow reads parameters from the JSON body or the query string alike (`_get_request_param`). */
export function requestField(request: AccessRequest, ...names: string[]): string | undefined {
  for (const name of names) {
    const body = request.body;
    const fromBody = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
    const value = fromBody ?? request.query[name] ?? request.params[name];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

/** A locator for routes that carry the resource's id themselves (experiment_id, a model's name). */
export const named =
  (type: ResourceType, ...fields: string[]): Locator =>
  (request) => {
    const id = requestField(request, ...fields);
    if (id === undefined) return [];
    return [type === 'experiment' ? experimentRef(id) : { type, id }];
  };
