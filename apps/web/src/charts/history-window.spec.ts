import { mergeDetail, metricValue, overviewRequest, pointsFor, SERVER_MAX_RESULTS, zoomRequest } from './history-window';

describe('downsampled metric history requests', () => {
  it('asks for about one point per pixel, within what the server accepts', () => {
    expect(overviewRequest(800)).toEqual({ max_results: 800 });
    expect(pointsFor(10)).toBe(100);
    expect(pointsFor(10_000)).toBe(SERVER_MAX_RESULTS);
  });

  it('asks for the zoomed step range at full width, widened to whole steps', () => {
    expect(zoomRequest({ min: 1200.4, max: 1850.6 }, 600, { points: 600, asked: 600 })).toEqual({ max_results: 600, start_step: 1200, end_step: 1851 });
  });

  it('does not ask again when the overview already had every point', () => {
    expect(zoomRequest({ min: 10, max: 20 }, 600, { points: 42, asked: 600 })).toBeUndefined();
  });

  it('accepts a range dragged right to left and never asks for negative steps', () => {
    expect(zoomRequest({ min: 50, max: -3 }, 300, { points: 300, asked: 300 })).toEqual({ max_results: 300, start_step: 0, end_step: 50 });
  });

  it('draws the detail inside the range and the overview outside it', () => {
    const overview = [0, 100, 200, 300].map((step) => ({ step, value: step }));
    const detail = [100, 101, 102, 200].map((step) => ({ step, value: -step }));
    expect(mergeDetail(overview, detail, { min: 100, max: 200 }).map((p) => p.step)).toEqual([0, 100, 101, 102, 200, 300]);
    expect(mergeDetail(overview, [], { min: 100, max: 200 })).toEqual(overview);
  });

  it("turns MLflow's NaN/Infinity strings into gaps", () => {
    expect(metricValue('NaN')).toBeNull();
    expect(metricValue('-Infinity')).toBeNull();
    expect(metricValue(0.25)).toBe(0.25);
  });
});
