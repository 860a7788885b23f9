// promtool over everything metrics-related we ship: the exposition dockfence renders, every
// Grafana panel query (as recording rules), the alert rules and their unit tests, the scrape
// config; plus the dashboard's and provisioning files' structure. Needs promtool, not root.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allPanels, dashboardRecordingRules, DASHBOARD_PATH, loadDashboard, panelQueries, REPO_ROOT } from './metrics-dashboard.js';
import { createMetricsLab } from './metrics-fixture.js';

const run = promisify(execFile);

/** Run promtool; resolves with its output and exit code instead of throwing. */
async function promtool(args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', args, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const SPEC_METRICS = [
  'dockfence_dropped_packets_total',
  'dockfence_dropped_bytes_total',
  'dockfence_audit_packets_total',
  'dockfence_exception_packets_total',
  'dockfence_reconcile_duration_seconds_bucket',
  'dockfence_reconciles_total',
  'dockfence_drift_healed_total',
  'dockfence_last_reconcile_success_timestamp_seconds',
  'dockfence_ruleset_applied',
  'dockfence_resources',
  'dockfence_host_ready',
  'dockfence_build_info',
];

let dir: string;
beforeAll(async () => {
  await run('promtool', ['--version']);
  dir = await mkdtemp(join(tmpdir(), 'dockfence-promtool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('metrics exposition', () => {
  it('every SPEC metric, with drops, audit and exceptions counted, passes promtool check metrics', async () => {
    const { metrics, backend, reconciler } = createMetricsLab();
    await reconciler.reconcile();
    backend.grow(reconciler.desired!, () => 3, 1);
    const text = await metrics.registry.metrics();
    for (const name of SPEC_METRICS) expect(text).toMatch(new RegExp(`^${name}(\\{| )`, 'm'));
    expect(text).toMatch(/^dockfence_audit_packets_total\{[^}]*policy="bridge-audit"[^}]*\} 3$/m);
    expect(text).toMatch(/^dockfence_exception_packets_total\{kind="ExposeRule",name="app2-web"\} 6$/m);
    expect(text).not.toMatch(/^(process|nodejs)_/m);
    const lint = await promtool(['check', 'metrics'], text);
    expect(lint).toEqual({ code: 0, out: '' });
  });

  it('promtool check metrics does flag a broken exposition (the lint is live)', async () => {
    const lint = await promtool(['check', 'metrics'], '# HELP x_total a\n# TYPE x_total gauge\nx_total 1\n');
    expect(lint.out).toContain('non-counter metrics should not have "_total" suffix');
  });
});

describe('Grafana dashboard', () => {
  const dashboard = loadDashboard();

  it('every panel query passes promtool check rules as a recording rule', async () => {
    const queries = panelQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(18);
    const file = join(dir, 'dashboard-rules.yml');
    await writeFile(file, dashboardRecordingRules(dashboard));
    const check = await promtool(['check', 'rules', file]);
    expect(check.out).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(check.code).toBe(0);
  });

  it('takes its datasource from a variable, never ${DS_PROMETHEUS}', async () => {
    expect(await readFile(DASHBOARD_PATH, 'utf8')).not.toContain('DS_PROMETHEUS');
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of allPanels(dashboard).filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of panel.targets ?? []) expect(t.datasource, `${panel.title} ${t.refId}`).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('has the network variable from label_values on the drop counter, used by the drop panels', () => {
    const network = dashboard.templating.list.find((v) => v.name === 'network');
    expect(network).toMatchObject({ type: 'query', allValue: '.*', datasource: { uid: '${datasource}' } });
    expect(JSON.stringify(network?.query)).toContain('label_values(dockfence_dropped_packets_total, src_network)');
    const dropQueries = panelQueries(dashboard).filter((q) => /dockfence_(dropped|audit)_/.test(q.expr));
    expect(dropQueries.length).toBeGreaterThan(5);
    for (const q of dropQueries) expect(q.expr, q.title).toContain('src_network=~"$network"');
  });

  it('has the panels the issue asks for, with unique ids and no overlapping tiles', () => {
    const panels = allPanels(dashboard);
    const titles = panels.map((p) => p.title);
    for (const wanted of [
      'Drop rate by network pair',
      'Top violating source networks',
      'Drops towards the host',
      'Drops towards protected networks',
      'Exception traffic by exception',
      'Audit mode: would-be drops',
      'Reconcile latency',
      'Drift heals over time',
      'Ruleset applied',
      'Host ready',
      'Resources not Ready',
    ]) expect(titles).toContain(wanted);
    expect(panels.find((p) => p.title === 'Drop rate by network pair')).toMatchObject({ type: 'table', transformations: [{ id: 'groupingToMatrix' }] });
    expect(panelQueries(dashboard).find((q) => q.title === 'Reconcile latency')?.expr).toContain('histogram_quantile');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
  });

  it('provisioning: a Prometheus datasource and a file provider for a dockfence folder', async () => {
    const ds = parse(await readFile(`${REPO_ROOT}grafana/provisioning/datasources/prometheus.yaml`, 'utf8'));
    expect(ds).toMatchObject({ apiVersion: 1, datasources: [{ type: 'prometheus', access: 'proxy' }] });
    expect(ds.datasources[0].url).toMatch(/^http:\/\//);
    const boards = parse(await readFile(`${REPO_ROOT}grafana/provisioning/dashboards/dockfence.yaml`, 'utf8'));
    expect(boards).toMatchObject({ apiVersion: 1, providers: [{ type: 'file', folder: 'dockfence', options: { path: expect.any(String) } }] });
  });
});

describe('Prometheus config and alerts', () => {
  const prom = `${REPO_ROOT}deploy/prometheus`;

  it('alerts.yml passes promtool check rules', async () => {
    const check = await promtool(['check', 'rules', `${prom}/alerts.yml`]);
    expect(check.out).toContain('SUCCESS: 6 rules found');
    expect(check.code).toBe(0);
  });

  it('alerts.yml passes its promtool unit tests', async () => {
    const test = await promtool(['test', 'rules', `${prom}/alerts.test.yml`]);
    expect(test.out).toContain('SUCCESS');
    expect(test.code).toBe(0);
  });

  it('covers every alert the issue asks for with at least one firing test case', async () => {
    const rules = parse(await readFile(`${prom}/alerts.yml`, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> };
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.sort()).toEqual(
      ['DockfenceCrossNetworkDropSpike', 'DockfenceDown', 'DockfenceDriftHealedRepeatedly', 'DockfenceHostNotReady', 'DockfenceReconcileFailing', 'DockfenceRulesetNotApplied'],
    );
    const tests = parse(await readFile(`${prom}/alerts.test.yml`, 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const firing = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect([...firing].sort()).toEqual(alerts);
  });

  it('prometheus.yml passes promtool check config and scrapes job "dockfence"', async () => {
    const check = await promtool(['check', 'config', `${prom}/prometheus.yml`]);
    expect(check.out).toContain('is valid prometheus config file syntax');
    expect(check.code).toBe(0);
    const config = parse(await readFile(`${prom}/prometheus.yml`, 'utf8'));
    expect(config.scrape_configs).toContainEqual(expect.objectContaining({ job_name: 'dockfence', metrics_path: '/metrics' }));
  });
});
