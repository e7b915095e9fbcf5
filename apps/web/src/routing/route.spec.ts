import { DEFAULT_RUNS_VIEW, formatHash, parseHash, type Route } from './route';

describe('hash routes', () => {
  it('opens the run page from the URL the mlflow client prints after a run', () => {
    expect(parseHash('#/experiments/7/runs/0a1b2c')).toEqual({ page: 'run', experimentId: '7', runId: '0a1b2c', tab: 'overview', artifact: '' });
  });

  it("opens MLflow's model version links and artifact deep links", () => {
    expect(parseHash('#/models/fraud%20model/versions/3')).toEqual({ page: 'model', name: 'fraud model', version: '3' });
    expect(parseHash('#/experiments/1/runs/r1/artifactPath/model/MLmodel')).toMatchObject({ page: 'run', tab: 'artifacts', artifact: 'model/MLmodel' });
  });

  it("opens MLflow's compare link, JSON arrays in the query", () => {
    expect(parseHash('#/compare-runs?runs=["a","b","a"]&experiments=["1"]')).toEqual({
      page: 'compare',
      runIds: ['a', 'b'],
      experimentIds: ['1'],
      metric: '',
      axis: 'step',
      smoothing: 0,
    });
    expect(parseHash('#/compare-runs?runs=not-json')).toEqual({ page: 'compare', runIds: [], experimentIds: [], metric: '', axis: 'step', smoothing: 0 });
    // The chart's axis and smoothing are shareable too; nonsense falls back, smoothing stays within 0..0.99.
    expect(parseHash('#/compare-runs?runs=["a"]&x=time&smooth=0.8')).toMatchObject({ axis: 'time', smoothing: 0.8 });
    expect(parseHash('#/compare-runs?runs=["a"]&x=bogus&smooth=5')).toMatchObject({ axis: 'step', smoothing: 0.99 });
  });

  it('lands on the experiments list for an empty hash and says not found for an unknown one', () => {
    expect(parseHash('')).toEqual({ page: 'experiments', search: '', view: 'active', token: '' });
    expect(parseHash('#/nope/1')).toEqual({ page: 'not-found', hash: '/nope/1' });
    expect(parseHash('#/experiments/%E0%A4%A')).toMatchObject({ page: 'not-found' });
  });

  it('keeps a runs view (filter, sort, columns, page) in the URL and reads it back unchanged', () => {
    const route: Route = {
      page: 'runs',
      experimentId: '12',
      runs: {
        filter: "metrics.loss < 0.5 and params.lr = '0.01'",
        orderBy: 'metrics.`val/loss` ASC',
        columns: ['metrics.val/loss', 'params.lr'],
        view: 'deleted',
        token: 'abc==',
      },
    };
    const hash = formatHash(route);
    expect(hash).toContain('#/experiments/12?');
    expect(parseHash(hash)).toEqual(route);
  });

  it('leaves defaults out of the URL, so a plain experiment link stays short', () => {
    expect(formatHash({ page: 'runs', experimentId: '3', runs: DEFAULT_RUNS_VIEW })).toBe('#/experiments/3');
    expect(parseHash('#/experiments/3/runs')).toEqual({ page: 'runs', experimentId: '3', runs: DEFAULT_RUNS_VIEW });
  });

  it('round-trips every other page', () => {
    const routes: Route[] = [
      { page: 'experiments', search: 'name LIKE "%cv%"', view: 'deleted', token: 't1' },
      { page: 'run', experimentId: '1', runId: 'r', tab: 'artifacts', artifact: 'plots/a b.png' },
      { page: 'models', search: 'fraud', token: '' },
      { page: 'compare', runIds: ['r1', 'r2'], experimentIds: ['1', '2'], metric: 'val/loss', axis: 'relative', smoothing: 0.6 },
      { page: 'webhooks' },
      { page: 'operations' },
      { page: 'webhook', webhookId: 'wh-1', delivery: 'd-9' },
      { page: 'model', name: 'a/b', version: '' },
      { page: 'model', name: 'a/b', version: '2' },
    ];
    for (const route of routes) expect(parseHash(formatHash(route))).toEqual(route);
  });
});
