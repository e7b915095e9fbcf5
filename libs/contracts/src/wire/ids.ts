/**
 * Identifier and naming rules of MLflow's wire format that more than one context checks: one home,
 * so a tracking route, an artifact route and the registry agree on what a logged model id is.
 */

/** A run id as MLflow mints it (a UUID's 32 hex digits). */
const RUN_ID = /^[0-9a-f]{32}$/;

export const isRunId = (id: string): boolean => RUN_ID.test(id);

/** A logged model id as MLflow 3 mints it: `m-` and 32 hex digits (the client sends it back verbatim). */
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

export const isLoggedModelId = (id: string): boolean => LOGGED_MODEL_ID.test(id);

/** `models:/m-<id>` (a logged model's URI, as 3.x `log_model(registered_model_name=…)` sends it) → the id. */
export function loggedModelIdOfUri(uri: string): string | null {
  const match = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(uri);
  return match?.[1] ?? null;
}

/** A camelCase field name as protobuf JSON names it (`updateMask` paths, GraphQL fields): `snake_case`. */
export const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
