/**
 * The events a webhook can subscribe to, in MLflow's `entity.action` spelling. MLflow's own set
 * (mlflow/entities/webhook.py VALID_ENTITY_ACTIONS, registry part) plus the stage transition MLflow
 * OSS lacks, which is what CI pipelines gate on ("entered Staging", "entered Production").
 */
export const WEBHOOK_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version.stage_transitioned',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEventRef {
  entity: string;
  action: string;
}

// MLflow's prompt registry events: valid for MLflow, but Cairn has no prompt registry yet, so a
// subscription to them would never fire. Refused with a message rather than accepted silently.
const PROMPT_ENTITIES = new Set(['prompt', 'prompt_version', 'prompt_tag', 'prompt_version_tag', 'prompt_alias']);

// Wire numbers of webhooks.proto's enums, for clients that send enums as integers.
const ENTITY_NUMBERS = [
  '',
  'registered_model',
  'model_version',
  'model_version_tag',
  'model_version_alias',
  'prompt',
  'prompt_version',
  'prompt_tag',
  'prompt_version_tag',
  'prompt_alias',
  'budget_policy',
];
const ACTION_NUMBERS = ['', 'created', 'updated', 'deleted', 'set', 'exceeded'];

/** `MODEL_VERSION` / `model_version` / 2 → `model_version`; undefined when it is none of those. */
function normalise(value: unknown, numbers: string[]): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return numbers[value] || undefined;
  if (typeof value !== 'string' || !/^[A-Za-z_]{1,64}$/.test(value)) return undefined;
  return value.toLowerCase();
}

export type ParsedEvent = { ok: true; name: WebhookEventName } | { ok: false; message: string };

/** Reads one `{entity, action}` as the MLflow client sends it (proto enum names, upper case). */
export function parseWebhookEvent(event: { entity?: unknown; action?: unknown }): ParsedEvent {
  const entity = normalise(event.entity, ENTITY_NUMBERS);
  const action = normalise(event.action, ACTION_NUMBERS);
  if (!entity || !action) return { ok: false, message: `Invalid webhook event ${JSON.stringify(event)}: entity and action are required.` };
  const name = `${entity}.${action}`;
  if ((WEBHOOK_EVENTS as readonly string[]).includes(name)) return { ok: true, name: name as WebhookEventName };
  if (PROMPT_ENTITIES.has(entity)) return { ok: false, message: `Webhook event '${name}' is not supported: Cairn has no prompt registry.` };
  return { ok: false, message: `Invalid webhook event '${name}'. Valid events are: ${WEBHOOK_EVENTS.join(', ')}.` };
}

/** The wire form MLflow's client reads back: proto enum names. */
export function eventToWire(name: WebhookEventName): { entity: string; action: string } {
  const [entity, action] = name.split('.') as [string, string];
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}
