import type { z } from 'zod';
import type { CreateWebhookRequest, TestWebhookRequest, WebhookDeliveryIdRequest } from '@cairn/contracts';
import { unreadFields } from '@cairn/testing';
import { parseRequest, schemas as s } from './dto';

/**
 * The SDK builds its request bodies as `@cairn/contracts`' request types; these samples fill every
 * field of those types (`Required<…>`, so a field added to a contract must be added here) and check
 * that the webhooks' schema reads each one.
 */
const event = { entity: 'MODEL_VERSION', action: 'CREATED' } as const;

const samples: [string, z.ZodType, object][] = [
  [
    'webhook',
    s.webhook,
    {
      name: 'ci',
      url: 'https://ci.example/hook',
      events: [event],
      description: 'd',
      secret: 'shh',
      status: 'ACTIVE',
    } satisfies Required<CreateWebhookRequest>,
  ],
  ['test', s.test, { event } satisfies Required<TestWebhookRequest>],
  ['delivery', s.delivery, { delivery_id: 'd-1' } satisfies Required<WebhookDeliveryIdRequest>],
];

describe("the webhooks' request schemas read every field of the contracts' request bodies", () => {
  it.each(samples)('%s', (_name, schema, sample) => {
    expect(unreadFields(sample, parseRequest(schema, sample))).toEqual([]);
  });
});
