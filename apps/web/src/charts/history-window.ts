/**
 * Which points of a metric's history a chart asks for. A chart never loads a whole history: it asks
 * `metrics/get-history-bulk-interval` for about one point per pixel of its width (the server samples
 * evenly over the steps and always keeps the first and last), and when the user zooms into a step
 * range it asks again for that range only, so the zoomed view is at full resolution while it holds
 * fewer steps than pixels.
 */

/** The server's cap on max_results for get-history-bulk-interval (MLflow's is the same). */
export const SERVER_MAX_RESULTS = 2500;
const MIN_RESULTS = 100;

export interface StepRange {
  min: number;
  max: number;
}

export interface HistoryRequest {
  max_results: number;
  start_step?: number;
  end_step?: number;
}

/** Points to ask for a chart `widthPx` wide: one per pixel, within what the server accepts. */
export function pointsFor(widthPx: number): number {
  return Math.max(MIN_RESULTS, Math.min(SERVER_MAX_RESULTS, Math.round(widthPx)));
}

/** The overview: every step, downsampled to the chart's width. */
export function overviewRequest(widthPx: number): HistoryRequest {
  return { max_results: pointsFor(widthPx) };
}

/**
 * The request for a zoomed view, or undefined when the overview already holds every point of the
 * range (it had fewer points than it asked for, so nothing was sampled away). Steps are integers:
 * the range is widened to the enclosing whole steps so its edge points are included.
 */
export function zoomRequest(range: StepRange, widthPx: number, overview: { points: number; asked: number }): HistoryRequest | undefined {
  if (overview.points < overview.asked) return undefined;
  const start = Math.floor(Math.min(range.min, range.max));
  const end = Math.ceil(Math.max(range.min, range.max));
  if (!Number.isFinite(start) || !Number.isFinite(end)) return undefined;
  return { max_results: pointsFor(widthPx), start_step: Math.max(0, start), end_step: Math.max(0, end) };
}

export interface Point {
  step: number;
  value: number;
}

/**
 * The series to draw for a zoomed view: the overview outside the range and the detailed points
 * inside it (so panning out again still shows the whole curve without another request).
 */
export function mergeDetail(overview: readonly Point[], detail: readonly Point[], range: StepRange): Point[] {
  if (detail.length === 0) return [...overview];
  const lo = detail[0]?.step ?? range.min;
  const hi = detail[detail.length - 1]?.step ?? range.max;
  return [...overview.filter((p) => p.step < lo), ...detail, ...overview.filter((p) => p.step > hi)];
}

/** MLflow sends NaN and ±Infinity as strings; uPlot wants numbers (null for a gap). */
export function metricValue(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
