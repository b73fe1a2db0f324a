/**
 * Reads deploy/grafana/usm-facade.json the way the dashboard tests need it: its panels
 * (rows' nested panels included), every PromQL expression with the panel it belongs
 * to, the metric names an expression reads, and an expression with the dashboard's
 * variables filled in so Prometheus can run it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './prometheus.fixture.js';

export const SHIPPED_DASHBOARD = path.join(REPO_ROOT, 'deploy/grafana/usm-facade.json');

export interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: DashboardPanel[];
}

export interface Dashboard {
  title: string;
  uid: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; datasource?: unknown }> };
  [field: string]: unknown;
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(SHIPPED_DASHBOARD, 'utf8')) as Dashboard;
}

/** Every panel that is not a row, in order, rows' collapsed panels included. */
export function panelsOf(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
}

/** Every query expression, with its panel's title. */
export function expressionsOf(dashboard: Dashboard): Array<{ panel: string; expr: string }> {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ panel: panel.title, expr: target.expr }])),
  );
}

/**
 * The facade's and the process's metric names an expression reads. Label values and
 * legend text sit in quotes and are skipped; digits are allowed (`nodejs_eventloop_lag_p99_seconds`).
 */
export function metricNamesIn(expr: string): string[] {
  const unquoted = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set(unquoted.match(/\b(?:usm_facade|process|nodejs)_[a-z0-9_]+/g) ?? [])];
}

/**
 * The series family a sample name belongs to: itself when exposed as a family, else a
 * histogram's or summary's name without `_bucket`, `_sum` or `_count`.
 */
export function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const type = types.get(base);
  return base !== name && (type === 'histogram' || type === 'summary') ? base : undefined;
}

/** The expression as Grafana would send it with every replica and deployment selected. */
export function withVariables(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$instance', '.*').replaceAll('$deployment', '.*');
}
