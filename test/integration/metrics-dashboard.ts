// Reads grafana/dashboards/dockfence.json as tests see it: every panel's PromQL with the Grafana
// variables bound the way Grafana binds them, so promtool and a real Prometheus can run exactly
// what the dashboard shows. Shared by the lint, Prometheus and e2e metrics tests.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_PATH = `${REPO_ROOT}grafana/dashboards/dockfence.json`;

export interface DashboardTarget {
  refId: string;
  expr: string;
  datasource?: { type?: string; uid?: string };
  instant?: boolean;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: unknown; allValue?: string }> };
}

export interface PanelQuery {
  panelId: number;
  title: string;
  panelType: string;
  refId: string;
  /** The expression as stored, with Grafana variables. */
  expr: string;
}

/** Values Grafana would substitute; `network` is a regex (the variable is multi-value, All = `.*`). */
export interface Bindings {
  rateInterval: string;
  range: string;
  network: string;
}

export const LINT_BINDINGS: Bindings = { rateInterval: '1m', range: '1h', network: '.*' };

export function loadDashboard(path = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Panels in layout order, rows' nested panels included (collapsed rows keep them inside). */
export function allPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every query target of every panel. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panelId: p.id, title: p.title, panelType: p.type, refId: t.refId, expr: t.expr })),
  );
}

/**
 * Substitute the Grafana variables this dashboard uses. Throws when a `$` is left over: a
 * variable the dashboard uses but neither Grafana's built-ins nor our templating define.
 */
export function bindVariables(expr: string, bindings: Bindings): string {
  const bound = expr
    .replaceAll(/\$__rate_interval|\$\{__rate_interval\}/g, bindings.rateInterval)
    .replaceAll(/\$__range|\$\{__range\}/g, bindings.range)
    .replaceAll(/\$network\b|\$\{network\}/g, bindings.network);
  if (bound.includes('$')) throw new Error(`unbound Grafana variable in: ${expr}`);
  return bound;
}

/** A Prometheus rules file (YAML is a JSON superset) recording every panel query. */
export function dashboardRecordingRules(dashboard: Dashboard, bindings: Bindings = LINT_BINDINGS): string {
  const rules = panelQueries(dashboard).map((q) => ({
    record: `dockfence_dashboard:panel_${q.panelId}_${q.refId}`,
    expr: bindVariables(q.expr, bindings),
  }));
  return JSON.stringify({ groups: [{ name: 'dockfence-dashboard', rules }] }, null, 2);
}
