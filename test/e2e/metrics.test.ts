// Metrics as an operator sees them: a real Prometheus (the shipped config and alerts, 1 s scrape)
// scrapes dockfence running as shipped on a harness Docker host while containers send real
// traffic that each isolation question drops, that exceptions admit and that an Audit policy
// only counts; every Grafana panel query must show it, and totals survive a re-apply and a heal.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIFT_KINDS } from '../../src/metrics/metrics.js';
import { startDockerHost, type DockerHost } from '../harness/docker-host.js';
import { HOST_TCP_PORT, startHostServers } from '../harness/host-servers.js';
import { buildArticleLab, LAB, labContainerConfig, type LabContainer } from '../harness/lab.js';
import { attachLan, LAN } from '../harness/lan.js';
import { netnsRunOk } from '../harness/netns.js';
import { METRICS_PORT, ROOT, startOperator, type Operator } from '../harness/operator.js';
import { createProber, pollUntil, type Prober } from '../harness/probes.js';
import { bindVariables, loadDashboard, panelQueries, type Bindings } from '../integration/metrics-dashboard.js';
import { expectRates, single, type Check } from '../integration/metrics-expectations.js';
import { eventually, startPrometheus, type PrometheusServer, type Series } from '../integration/metrics-prometheus.js';

const LIVE: Bindings = { rateInterval: '10s', range: '5m', network: '.*' };
const C = (container: string) => ({ container });
const { mysql, wordpress, nginx } = { mysql: LAB.containers['app1-mysql'], wordpress: LAB.containers['app1-wordpress'], nginx: LAB.containers['app2-nginx'] };
const gw1 = LAB.networks['int-app1'].gateway;

/** Two more networks: one whose containers may not talk to each other, one only audited. */
const EXTRA = {
  networks: { 'sec-net': { subnet: '10.10.103.0/24', gateway: '10.10.103.1' }, 'audit-net': { subnet: '10.10.104.0/24', gateway: '10.10.104.1' } },
  containers: {
    'sec-a': { network: 'sec-net', ip: '10.10.103.2', ip6: '', project: 'sec', service: 'a', tcpPorts: [], udpPorts: [], published: [] },
    'sec-b': { network: 'sec-net', ip: '10.10.103.3', ip6: '', project: 'sec', service: 'b', tcpPorts: [80], udpPorts: [], published: [] },
    'audit-box': { network: 'audit-net', ip: '10.10.104.2', ip6: '', project: 'audit', service: 'box', tcpPorts: [], udpPorts: [], published: [] },
  } satisfies Record<string, LabContainer>,
};
const EXTRA_POLICIES = `apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata: {name: sec-lockdown}
spec: {networks: {names: [sec-net]}, sameNetwork: Deny, host: Allow}
---
apiVersion: dockfence.io/v1alpha1
kind: IsolationPolicy
metadata: {name: audit-watch}
spec: {networks: {names: [audit-net]}, host: Deny, protectedCidrs: [10.10.10.0/24], mode: Audit}
`;

/** Sent every second. `expect`: what the probe must answer (false = dropped). */
const TRAFFIC = [
  { name: 'other_network ext-app2 -> int-app1', from: 'app2-nginx', ip: mysql.ip, port: 3306, expect: false },
  { name: 'host int-app1 -> gateway', from: 'app1-wordpress', ip: gw1, port: HOST_TCP_PORT, expect: false },
  { name: 'protected int-app1 -> LAN mgmt', from: 'app1-mysql', ip: LAN.mgmt, port: 22, expect: false },
  { name: 'same_network sec-a -> sec-b', from: 'sec-a', ip: EXTRA.containers['sec-b'].ip, port: 80, expect: false },
  { name: 'ExposeRule app2-to-app1-web', from: 'app2-nginx', ip: wordpress.ip, port: 80, expect: true },
  { name: 'EgressException app1-to-webserver', from: 'app1-wordpress', ip: LAN.web, port: 80, expect: true },
  { name: 'audit-net -> host (Audit: counted, not dropped)', from: 'audit-box', ip: EXTRA.networks['audit-net'].gateway, port: HOST_TCP_PORT, expect: true },
];

const DROPPING_PAIRS = ['ext-app2>int-app1', 'int-app1>host', 'int-app1>protected', 'sec-net>sec-net'];

/** What each panel must show for TRAFFIC; background series (e.g. other pairs) must stay at zero. */
const PANELS: Record<string, Check> = {
  'Ruleset applied': single((v) => expect(v).toBe(1)),
  'Host ready': single((v) => expect(v).toBe(1)),
  'Resources not Ready': single((v) => expect(v).toBe(0)),
  'Dropped packets/s': single((v) => expect(v).toBeGreaterThan(0)),
  'Since last successful reconcile': single((v) => expect(v).toBeLessThan(60)),
  'Reconcile errors': single((v) => expect(v).toBe(0)),
  'Drop rate by network pair': (s) => expectRates(s, ['src_network', 'dst_network'], { nonZero: DROPPING_PAIRS, zero: ['int-app1>ext-app2', 'ext-app2>protected', 'ext-app2>host'] }),
  'Top violating source networks': (s) => expectRates(s, ['src_network'], { nonZero: ['int-app1', 'ext-app2', 'sec-net'] }),
  'Drops towards the host': (s) => expectRates(s, ['src_network'], { nonZero: ['int-app1'], zero: ['ext-app2'] }),
  'Drops towards protected networks': (s) => expectRates(s, ['src_network', 'policy'], { nonZero: ['int-app1>lab-isolation'], zero: ['ext-app2>lab-isolation'] }),
  'Drops by reason': (s) => expectRates(s, ['reason'], { nonZero: ['other_network', 'host', 'protected', 'same_network'] }),
  'Dropped bytes by network pair': (s) => expectRates(s, ['src_network', 'dst_network'], { nonZero: DROPPING_PAIRS, zero: ['int-app1>ext-app2'] }),
  'Exception traffic by exception': (s) =>
    expectRates(s, ['kind', 'name'], { nonZero: ['ExposeRule>app2-to-app1-web', 'EgressException>app1-to-webserver'], zero: ['ExposeRule>app2-web'] }),
  'Audit mode: would-be drops': (s) =>
    expectRates(s, ['policy', 'src_network', 'dst_network', 'reason'], { nonZero: ['audit-watch>audit-net>host>host'], zero: ['audit-watch>audit-net>protected>protected'] }),
  'Reconcile latency': single((v) => expect(v).toBeGreaterThan(0)),
  'Reconciles by result': (s) => expectRates(s, ['result'], { nonZero: ['noop'], zero: ['error'], othersZero: false }),
  'Drift heals over time': (s) => expectRates(s, ['kind'], { zero: [...DRIFT_KINDS], othersZero: false }),
};

const sum = (series: Series[]): number => series.reduce((n, s) => n + s.value, 0);

async function createExtraNetworks(host: DockerHost, probe: Prober): Promise<void> {
  for (const [name, net] of Object.entries(EXTRA.networks)) {
    await host.docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, IPAM: { Driver: 'default', Config: [{ Subnet: net.subnet, Gateway: net.gateway }] } });
  }
  for (const [name, spec] of Object.entries(EXTRA.containers)) {
    await (await host.docker.createContainer(labContainerConfig(name, spec))).start();
  }
  expect(await pollUntil(() => probe.tcp(C('sec-b'), '127.0.0.1', 80), true, 15_000)).toBe(true);
}

/** Someone else's edit that removes our counted drop rules: the operator must heal it. */
async function breakRules(host: DockerHost, backend: 'nftables' | 'iptables'): Promise<void> {
  if (backend === 'nftables') {
    await netnsRunOk(host.name, 'nft', ['flush', 'table', 'inet', 'dockfence']);
    return;
  }
  const chains = [...(await netnsRunOk(host.name, 'iptables-save', ['-t', 'filter'])).matchAll(/^:(DF-FROM-\S+)/gm)].map((m) => m[1]!);
  expect(chains.length).toBeGreaterThan(0);
  for (const chain of chains) await netnsRunOk(host.name, 'iptables', ['-w', '-F', chain]);
}

describe.each(['nftables', 'iptables'] as const)('metrics end to end: Prometheus scraping dockfence on a Docker host (%s)', (backend) => {
  const dashboard = loadDashboard();
  let host: DockerHost;
  let probe: Prober;
  let op: Operator;
  let prom: PrometheusServer;
  let last: boolean[] = [];
  let trafficOn = true;
  let traffic: Promise<void> | undefined;

  beforeAll(async () => {
    host = await startDockerHost({ name: `metrics-${backend.slice(0, 3)}`, iptables: true });
    await attachLan(host);
    await buildArticleLab(host);
    startHostServers(host);
    probe = createProber(host);
    await createExtraNetworks(host, probe);
    op = await startOperator(host, { backend });
    for (const apply of [await op.kubectl(['apply', '-f', join(ROOT, 'examples')]), await op.kubectl(['apply', '-f', '-'], EXTRA_POLICIES)]) {
      expect(apply.exitCode, apply.stderr).toBe(0);
    }
    const ready = await pollUntil(async () => {
      const r = await op.kubectl(['get', 'isolationpolicies', '-o', 'jsonpath={.items[*].status.conditions[0].status}']);
      return r.stdout.trim() === 'True True True';
    }, true, 30_000);
    expect(ready, op.logs()).toBe(true);
    prom = await startPrometheus([new URL(op.metricsUrl).host]);
    traffic = (async () => {
      while (trafficOn) {
        const started = Date.now();
        last = await Promise.all(TRAFFIC.map((t) => probe.tcp(C(t.from), t.ip, t.port, { timeoutMs: 500 })));
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
    })();
  });

  afterAll(async () => {
    trafficOn = false;
    await traffic?.catch(() => undefined);
    await prom?.stop();
    await host?.stop();
  });

  it('the traffic is dropped, admitted and audited as the resources say', async () => {
    await eventually(async () => expect(last.length).toBe(TRAFFIC.length), 15_000);
    expect(Object.fromEntries(TRAFFIC.map((t, i) => [t.name, last[i]]))).toEqual(Object.fromEntries(TRAFFIC.map((t) => [t.name, t.expect])));
  });

  it('every dashboard panel query returns the expected series', async () => {
    const queries = panelQueries(dashboard);
    expect(new Set(queries.map((q) => q.title))).toEqual(new Set(Object.keys(PANELS)));
    await eventually(async () => {
      for (const q of queries) {
        const series = await prom.query(bindVariables(q.expr, LIVE));
        try {
          PANELS[q.title]!(series, q.refId);
        } catch (error) {
          throw new Error(`panel "${q.title}" ${q.refId}: ${(error as Error).message}\n${JSON.stringify(series)}`);
        }
      }
    }, 45_000, 1000);
    const duration = await prom.query('scrape_duration_seconds{job="dockfence"}');
    const samples = await prom.query('scrape_samples_scraped{job="dockfence"}');
    console.info(`dockfence /metrics scrape on a real host (${backend}): ${(duration[0]!.value * 1000).toFixed(1)} ms, ${samples[0]!.value} samples`);
  });

  it('--metrics-listen serves the metrics without a token inside the host (in-namespace scrape time reported)', async () => {
    // Timed where Prometheus would run, without the test's per-connection forwarder.
    const script = [
      "const t = []; let body = '';",
      'for (let i = 0; i < 20; i++) { const s = performance.now(); body = await (await fetch(process.argv[1])).text(); t.push(performance.now() - s); }',
      't.sort((a, b) => a - b); console.log(JSON.stringify({ median: t[10], max: t[19], series: body.split(String.fromCharCode(10)).filter((l) => l.startsWith("dockfence_dropped_packets_total{")).length }));',
    ].join('\n');
    const out = JSON.parse(await netnsRunOk(host.name, process.execPath, ['--input-type=module', '-e', script, `http://127.0.0.1:${METRICS_PORT}/metrics`])) as { median: number; max: number; series: number };
    console.info(`dockfence /metrics in the host namespace (${backend}): median ${out.median.toFixed(1)} ms, max ${out.max.toFixed(1)} ms over 20 scrapes`);
    expect(out.series).toBeGreaterThan(DROPPING_PAIRS.length);
  });

  it('the network variable lists the governed source networks', async () => {
    const values = await prom.api<string[]>('/api/v1/label/src_network/values?match[]=dockfence_dropped_packets_total');
    expect(values).toEqual(expect.arrayContaining(['ext-app2', 'int-app1', 'sec-net']));
  });

  it('totals stay monotonic across a forced re-apply and a drift heal of the real rules', async () => {
    const dropped = async () => sum(await prom.query('sum(dockfence_dropped_packets_total)'));
    const before = await dropped();
    expect(before).toBeGreaterThan(0);

    const applied = async () => sum(await prom.query('dockfence_reconciles_total{result="applied"}'));
    const appliedBefore = await applied();
    const late = 'apiVersion: dockfence.io/v1alpha1\nkind: EgressException\nmetadata: {name: late-egress}\nspec: {source: {names: [app1-mysql]}, to: [{cidr: 10.10.10.56/32, ports: [{port: 443, protocol: tcp}]}]}\n';
    expect((await op.kubectl(['apply', '-f', '-'], late)).exitCode).toBe(0);
    await eventually(async () => expect(await applied()).toBeGreaterThan(appliedBefore), 30_000);
    if (backend === 'nftables') {
      // nft's own counters restarted with the new table: far below what was exported.
      const kernel = (await netnsRunOk(host.name, 'nft', ['list', 'table', 'inet', 'dockfence'])).matchAll(/counter packets (\d+)/g);
      expect([...kernel].reduce((n, m) => n + Number(m[1]), 0)).toBeLessThan(before);
    }

    const healedBefore = sum(await prom.query('dockfence_drift_healed_total'));
    await breakRules(host, backend);
    await eventually(async () => expect(sum(await prom.query('dockfence_drift_healed_total'))).toBeGreaterThan(healedBefore), 30_000);

    await eventually(async () => expect(await dropped()).toBeGreaterThan(before + 10), 30_000);
    for (const name of ['dockfence_dropped_packets_total', 'dockfence_dropped_bytes_total', 'dockfence_audit_packets_total', 'dockfence_exception_packets_total']) {
      const resets = await prom.query(`resets(${name}[10m])`);
      expect(resets.length, name).toBeGreaterThan(0);
      expect(resets.filter((s) => s.value !== 0).map((s) => s.metric), name).toEqual([]);
    }
    const heals = panelQueries(dashboard).find((q) => q.title === 'Drift heals over time')!;
    expect(sum(await prom.query(bindVariables(heals.expr, { ...LIVE, rateInterval: '5m' })))).toBeGreaterThan(0);
  });

  it('the shipped alert rules evaluate on the real server and the operator is not reported down', async () => {
    const data = await prom.api<{ groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string; state: string }> }> }>('/api/v1/rules');
    const rules = data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name).sort()).toHaveLength(6);
    for (const r of rules) expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
    for (const name of ['DockfenceDown', 'DockfenceRulesetNotApplied', 'DockfenceHostNotReady', 'DockfenceReconcileFailing']) {
      expect(rules.find((r) => r.name === name)?.state, name).toBe('inactive');
    }
  });
});
