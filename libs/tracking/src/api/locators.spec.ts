import type { AccessLookup, AccessRequest } from '@cairn/contracts';
import { TRACKING_ACCESS } from './tracking.access';

/** A lookup over an in-memory runs table that counts its queries (the cache is what is tested). */
function runsTable(rows: Record<string, string>) {
  const calls: unknown[][] = [];
  const lookup: AccessLookup = {
    query: <R>(_text: string, values: unknown[]) => {
      calls.push(values);
      const ids = values[0] as string[];
      return Promise.resolve(ids.filter((id) => id in rows).map((id) => ({ id, experiment_id: rows[id] })) as R[]);
    },
  };
  return { lookup, calls };
}

const request = (parts: Partial<AccessRequest>): AccessRequest => ({ params: {}, query: {}, body: undefined, ...parts });

function locate(route: keyof typeof TRACKING_ACCESS, req: AccessRequest, lookup: AccessLookup) {
  const entry = TRACKING_ACCESS[route];
  if (entry.kind !== 'resource') throw new Error(`${route} is not located`);
  return entry.locate(req, lookup);
}

const run = (n: number) => n.toString(16).padStart(32, 'a');

describe('tracking locators read the fields the handlers read', () => {
  it('take the deprecated run_uuid only when run_id is absent or empty, as withRunId does', async () => {
    const { lookup } = runsTable({ [run(1)]: '1', [run(2)]: '2' });
    expect(await locate('logBatch', request({ body: { run_uuid: run(1) } }), lookup)).toEqual([{ type: 'experiment', id: '1' }]);
    expect(await locate('logBatch', request({ body: { run_id: '', run_uuid: run(1) } }), lookup)).toEqual([{ type: 'experiment', id: '1' }]);
    expect(await locate('logBatch', request({ body: { run_id: run(2), run_uuid: run(1) } }), lookup)).toEqual([{ type: 'experiment', id: '2' }]);
  });

  it('never take a POST handler’s run from the query string, nor a GET handler’s from the body', async () => {
    const { lookup } = runsTable({ [run(1)]: '1', [run(2)]: '2' });
    // The handler reads the body's run_uuid (run 1): the query's run_id must not be what is checked.
    expect(await locate('setTag', request({ body: { run_uuid: run(1) }, query: { run_id: run(2) } }), lookup)).toEqual([{ type: 'experiment', id: '1' }]);
    expect(await locate('getRun', request({ query: { run_id: [run(2), run(1)] }, body: { run_id: run(1) } }), lookup)).toEqual([
      { type: 'experiment', id: '2' },
    ]);
  });

  it('locate nothing for a request the handler refuses or a run that does not exist', async () => {
    const { lookup } = runsTable({});
    expect(await locate('updateRun', request({ body: { run_id: 42 } }), lookup)).toEqual([]);
    expect(await locate('updateRun', request({ body: { run_id: run(9) } }), lookup)).toEqual([]);
  });

  it('check runs/create against the Default experiment when experiment_id is absent or empty', async () => {
    const { lookup } = runsTable({});
    expect(await locate('createRun', request({ body: {} }), lookup)).toEqual([{ type: 'experiment', id: '0' }]);
    expect(await locate('createRun', request({ body: { experiment_id: '' } }), lookup)).toEqual([{ type: 'experiment', id: '0' }]);
    expect(await locate('createRun', request({ body: { experiment_id: 5 } }), lookup)).toEqual([{ type: 'experiment', id: '5' }]);
  });

  it('check an experiment id with leading zeros against the experiment Postgres reads it as', async () => {
    const { lookup } = runsTable({});
    expect(await locate('deleteExperiment', request({ body: { experiment_id: '007' } }), lookup)).toEqual([{ type: 'experiment', id: '7' }]);
  });

  it('check every experiment a run search names, from a GET query string with one or repeated keys', async () => {
    const { lookup } = runsTable({});
    expect(await locate('searchRunsGet', request({ query: { experiment_ids: '3' } }), lookup)).toEqual([{ type: 'experiment', id: '3' }]);
    expect(await locate('searchRunsGet', request({ query: { experiment_ids: ['3', '4', '03'], order_by: 'x' } }), lookup)).toEqual([
      { type: 'experiment', id: '3' },
      { type: 'experiment', id: '4' },
    ]);
    expect(await locate('searchRunsPost', request({ body: { experiment_ids: ['1', '2'] } }), lookup)).toEqual([
      { type: 'experiment', id: '1' },
      { type: 'experiment', id: '2' },
    ]);
  });

  it('check every run of a bulk metric read', async () => {
    const { lookup } = runsTable({ [run(1)]: '1', [run(2)]: '2', [run(3)]: '1' });
    expect(await locate('getMetricHistoryBulkInterval', request({ query: { run_ids: [run(1), run(2), run(3)], metric_key: 'm' } }), lookup)).toEqual([
      { type: 'experiment', id: '1' },
      { type: 'experiment', id: '2' },
    ]);
  });

  it('remember a run’s experiment, so repeated log-batch calls query once', async () => {
    const { lookup, calls } = runsTable({ [run(77)]: '3' });
    for (let i = 0; i < 5; i++)
      expect(await locate('logBatch', request({ body: { run_id: run(77), metrics: [] } }), lookup)).toEqual([{ type: 'experiment', id: '3' }]);
    expect(calls).toHaveLength(1);
  });

  it('locate a logged model only by a well-formed id in the path', async () => {
    const { lookup, calls } = runsTable({ [`m-${run(5)}`]: '9' });
    expect(await locate('getLoggedModel', request({ params: { modelId: `m-${run(5)}` } }), lookup)).toEqual([{ type: 'experiment', id: '9' }]);
    expect(await locate('getLoggedModel', request({ params: { modelId: 'm-nope' } }), lookup)).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('give the creator of an experiment its id from the response', () => {
    const entry = TRACKING_ACCESS.createExperiment;
    expect(entry.kind === 'authenticated' && entry.creates?.idOf({ experiment_id: '12' })).toBe('12');
  });
});
