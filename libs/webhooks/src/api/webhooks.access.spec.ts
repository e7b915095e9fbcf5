import type { AccessLookup, AccessRequest, RouteAccess } from '@cairn/contracts';
import { CAIRN_WEBHOOKS_ACCESS } from './webhooks.access';

const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });
const DELIVERY = '0190a8e2-6d1c-7c1a-9b7e-3f1f2d3c4b5a';

function locate(entry: RouteAccess, req: AccessRequest, lookup: AccessLookup) {
  if (entry.kind !== 'resource') throw new Error('not located');
  return entry.locate(req, lookup);
}

describe('webhook delivery locators', () => {
  const queried: unknown[][] = [];
  const lookup: AccessLookup = {
    query: <R>(_: string, values: unknown[]) => {
      queried.push(values);
      return Promise.resolve([{ webhook_id: 'w-1' }] as R[]);
    },
  };

  it('check a list without webhook_id, which shows every webhook’s deliveries, as every webhook', async () => {
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.deliveries, request({ query: {} }), lookup)).toEqual([{ type: 'webhook', id: '*' }]);
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.deliveries, request({ query: { webhook_id: 'w-2' } }), lookup)).toEqual([{ type: 'webhook', id: 'w-2' }]);
  });

  it('check a delivery against its webhook, read from the body for a redelivery', async () => {
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.redeliver, request({ body: { delivery_id: DELIVERY }, query: { delivery_id: 'x' } }), lookup)).toEqual([
      { type: 'webhook', id: 'w-1' },
    ]);
    expect(queried).toEqual([[DELIVERY]]);
    // Not a uuid: the handler answers 404 without a query, and so does the locator.
    expect(await locate(CAIRN_WEBHOOKS_ACCESS.delivery, request({ query: { delivery_id: 'nope' } }), lookup)).toEqual([]);
    expect(queried).toHaveLength(1);
  });
});
