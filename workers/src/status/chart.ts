/**
 * The occupancy chart of one parking lot, as inline SVG rendered on the server (no scripts,
 * no external assets). Occupancy only changes when a vehicle passes a lane, so it is drawn
 * as steps: each vehicleAccess callback's inParkNum holds until the next one.
 */
import { formatPlatformTime } from "@parkbridge/shared";
import { html } from "hono/html";

export interface OccupancyPoint {
  /** When the camera read the plate, Unix ms. */
  atMs: number;
  /** Vehicles inside after this pass (the callback's inParkNum). */
  inPark: number;
  /** Free spaces after this pass (the callback's totalLot), when sent. */
  free: number | null;
}

export interface OccupancyChartInput {
  parkingId: string;
  /** Oldest first. A point before `fromMs` (the last one before the window) starts the line at the left edge. */
  points: OccupancyPoint[];
  fromMs: number;
  toMs: number;
}

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 44, right: 16, top: 14, bottom: 28 };
const plotWidth = WIDTH - PAD.left - PAD.right;
const plotHeight = HEIGHT - PAD.top - PAD.bottom;

const HOUR = 3_600_000;
const TIME_STEPS = [15 * 60_000, 30 * 60_000, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];
const CST_OFFSET_MS = 8 * HOUR;

/** A round step (1, 2 or 5 × 10ⁿ) giving at most `maxTicks` gridlines up to `max`. */
function niceStep(max: number, maxTicks = 5): number {
  const rough = Math.max(max, 1) / maxTicks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(1, step);
}

const round = (n: number) => Math.round(n * 10) / 10;

export function occupancyChart(input: OccupancyChartInput) {
  const { fromMs, toMs, parkingId } = input;
  const span = Math.max(toMs - fromMs, 60_000);
  const x = (ms: number) => round(PAD.left + ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / span) * plotWidth);

  const points = [...input.points].sort((a, b) => a.atMs - b.atMs);
  const capacities = points.filter((p) => p.free !== null).map((p) => p.inPark + (p.free as number));
  const capacity = capacities.length ? Math.max(...capacities) : null;
  const yMax = Math.max(capacity ?? 0, ...points.map((p) => p.inPark), 1);
  const yStep = niceStep(yMax);
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const y = (value: number) => round(PAD.top + plotHeight - (value / yTop) * plotHeight);

  // Step line: hold each value until the next pass, then to the right edge ("now").
  let line = "";
  for (const [i, point] of points.entries()) {
    const px = x(point.atMs);
    const py = y(point.inPark);
    line += i === 0 ? `M${px},${py}` : `H${px}V${py}`;
  }
  const hasLine = points.length > 0;
  if (hasLine) line += `H${x(toMs)}`;
  const firstX = hasLine ? x((points[0] as OccupancyPoint).atMs) : 0;
  const area = hasLine ? `${line}V${y(0)}H${firstX}Z` : "";

  const yTicks: number[] = [];
  for (let v = 0; v <= yTop; v += yStep) yTicks.push(v);

  const timeStep = TIME_STEPS.find((s) => span / s <= 8) ?? 24 * HOUR;
  const timeTicks: number[] = [];
  const firstTick = Math.ceil((fromMs + CST_OFFSET_MS) / timeStep) * timeStep - CST_OFFSET_MS;
  for (let t = firstTick; t <= toMs; t += timeStep) timeTicks.push(t);

  const last = points.at(-1);
  const summary = last
    ? `${last.inPark} vehicles inside${capacity ? ` of ${capacity} spaces` : ""}`
    : "no entries or exits in this window";
  const titleId = `chart-${parkingId.replace(/[^A-Za-z0-9_-]/g, "_")}`;

  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId}"
  data-parking-id="${parkingId}" data-points="${points.length}">
  <title id="${titleId}">Occupancy of ${parkingId}: ${summary}</title>
  ${yTicks.map(
    (v) => html`<line class="grid" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(v)}" y2="${y(v)}" />
  <text class="axis" x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`,
  )}
  ${timeTicks.map(
    (
      t,
    ) => html`<line class="tick" x1="${x(t)}" x2="${x(t)}" y1="${PAD.top + plotHeight}" y2="${PAD.top + plotHeight + 4}" />
  <text class="axis" x="${x(t)}" y="${HEIGHT - 8}" text-anchor="middle">${formatPlatformTime(t, "minute").slice(11)}</text>`,
  )}
  ${
    capacity
      ? html`<line class="capacity" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(capacity)}" y2="${y(capacity)}" />
  <text class="axis capacity-label" x="${WIDTH - PAD.right}" y="${y(capacity) - 4}" text-anchor="end">capacity ${capacity}</text>`
      : ""
  }
  ${hasLine ? html`<path class="area" d="${area}" /><path class="line" d="${line}" />` : ""}
  ${
    hasLine
      ? ""
      : html`<text class="empty" x="${PAD.left + plotWidth / 2}" y="${PAD.top + plotHeight / 2}" text-anchor="middle">No entries or exits in this window</text>`
  }
</svg>`;
}
