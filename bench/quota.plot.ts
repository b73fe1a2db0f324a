/**
 * The plot of the `cluster-quota` case: GET/s at the upstream over time (each point the
 * GETs of the 1000 ms before it, the window USM counts in) against the quota line, one
 * line per cluster size. Plain SVG written from the bench's own figures; no library.
 */
import { writeFileSync } from 'node:fs';

export interface PlotSeries {
  label: string;
  colour: string;
  /** [seconds since the load began, GET/s]. */
  points: Array<[number, number]>;
}

const WIDTH = 760;
const HEIGHT = 340;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 44 };

export function writeQuotaPlot(file: string, title: string, quota: number, series: readonly PlotSeries[]): void {
  const maxX = Math.max(1, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const maxY = Math.ceil((Math.max(quota * 1.3, ...series.flatMap((s) => s.points.map(([, y]) => y))) + 1) / 20) * 20;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => (MARGIN.left + (v / maxX) * plotW).toFixed(1);
  const y = (v: number) => (MARGIN.top + plotH - (v / maxY) * plotH).toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${title}</text>`);
  for (let v = 0; v <= maxY; v += 20) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(v)}" text-anchor="end" dominant-baseline="middle">${v}</text>`);
  }
  for (let v = 0; v <= maxX; v += 2) {
    parts.push(`<text x="${x(v)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${v}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">seconds since the load began</text>`);
  parts.push(`<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">GET/s at USM (trailing 1000 ms)</text>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(quota)}" y2="${y(quota)}" stroke="#c62828" stroke-dasharray="6 4"/>`);
  parts.push(`<text x="${WIDTH - MARGIN.right}" y="${Number(y(quota)) - 6}" text-anchor="end" fill="#c62828">quota ${quota} GET/s</text>`);
  series.forEach((s, i) => {
    const path = s.points.map(([px, py]) => `${x(px)},${y(py)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.8" points="${path}"/>`);
    const ly = MARGIN.top + 14 + i * 16;
    parts.push(`<line x1="${MARGIN.left + 12}" x2="${MARGIN.left + 36}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"/>`);
    parts.push(`<text x="${MARGIN.left + 42}" y="${ly}" dominant-baseline="middle">${s.label}</text>`);
  });
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push('</svg>');
  writeFileSync(file, `${parts.join('\n')}\n`);
}
