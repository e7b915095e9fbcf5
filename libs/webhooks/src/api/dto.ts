import { z } from 'zod';
import { invalidParameter } from '@cairn/contracts';

/** Request parsing with MLflow's handler semantics (unknown fields ignored, "" means absent). */
const text = z.string().refine((s) => !s.includes('\u0000'), 'Strings must not contain NUL characters.');
const optional = z.preprocess((v) => (v === null || v === '' ? undefined : v), text.optional());
const int = z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int());
const event = z.object({ entity: z.union([z.string(), z.number()]).optional(), action: z.union([z.string(), z.number()]).optional() });

export const schemas = {
  webhook: z.object({
    name: optional,
    description: optional,
    url: optional,
    events: z.preprocess((v) => (v === null ? undefined : v), z.array(event).optional()),
    secret: optional,
    status: z.preprocess((v) => (v === null || v === '' ? undefined : typeof v === 'number' ? ['', 'ACTIVE', 'DISABLED'][v] : v), text.optional()),
  }),
  list: z.object({ max_results: int.optional(), page_token: optional }),
  test: z.object({ event: z.preprocess((v) => (v === null ? undefined : v), event.optional()) }),
  deliveries: z.object({ webhook_id: optional, status: optional, max_results: int.optional(), page_token: optional }),
  delivery: z.object({ delivery_id: optional }),
  webhookId: z.object({ webhook_id: optional }),
};

export function parseRequest<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'request';
  throw invalidParameter(`Invalid value for parameter '${field}': ${issue?.message ?? 'malformed'}`);
}

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw invalidParameter(`Missing value for required parameter '${name}'.`);
  return value;
}
