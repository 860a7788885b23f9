// `dockfence describe KIND NAME`: one readable page per object — metadata, spec, the controller's
// status (conditions, matched containers and networks, dropped packets) and stored generations.
// Formatting is pure (describeObject) so it is unit-tested without a server.

import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { CliError, ConnectionError } from './errors.js';
import { resolveKind, splitKindName, type KindInfo } from './kinds.js';
import { age, alignColumns, formatCell, toYaml } from './output.js';
import { getHistory, listObjects, requireObject, type HistoryEntry, type KubeObject } from './resources-api.js';

const KNOWN_STATUS = ['observedGeneration', 'conditions', 'matchedContainers', 'matchedNetworks', 'droppedPackets'];

export function registerDescribe(program: Command, ctx: CliContext): void {
  program
    .command('describe')
    .description('show one resource in detail: spec, status conditions, matches, drops and history')
    .argument('<kind>', 'resource kind, or KIND/NAME')
    .argument('[names...]', 'resource names (none: every object of the kind)')
    .action(async (kindArg: string, names: string[]) => {
      const { kind, name } = splitKindName(kindArg);
      const info = resolveKind(kind);
      let wanted = name !== undefined ? [name, ...names] : names;
      if (wanted.length === 0) {
        // Like kubectl: no name describes every object of the kind.
        wanted = (await listObjects(ctx.client(), info)).items.map((o) => o.metadata.name);
        if (wanted.length === 0) ctx.err('No resources found');
      }
      for (const [i, objectName] of wanted.entries()) {
        const object = await requireObject(ctx.client(), info, objectName);
        let history: HistoryEntry[] | string;
        try {
          history = await getHistory(ctx.client(), info, objectName);
        } catch (err) {
          if (err instanceof ConnectionError || !(err instanceof CliError)) throw err;
          history = err.message;
        }
        if (i > 0) ctx.out('\n');
        ctx.out(describeObject(info, object, history, ctx.now()).join('\n'));
      }
    });
}

/**
 * The lines of a describe page. `history` is the object's stored generations, or the reason they
 * are unavailable. `now` makes ages deterministic.
 */
export function describeObject(info: KindInfo, object: KubeObject, history: HistoryEntry[] | string, now: Date): string[] {
  const meta = object.metadata;
  const lines = field('', [
    ['Name', meta.name],
    ['Kind', info.kind],
    ['API Version', object.apiVersion ?? ''],
    ['Labels', keyValues(meta.labels)],
    ['Annotations', keyValues(meta.annotations)],
    ['UID', String(meta.uid ?? '<none>')],
    ['Generation', String(meta.generation ?? '<none>')],
    ['Resource Version', meta.resourceVersion ?? '<none>'],
    ['Created', when(meta.creationTimestamp as string | undefined, now)],
  ]);
  lines.push('Spec:', ...indent(toYaml(object.spec ?? {}), 2));
  lines.push(...describeStatus(object.status, meta.generation, now));
  lines.push(...describeHistory(history, meta.generation, now));
  return lines;
}

function describeStatus(status: Record<string, unknown> | undefined, generation: number | undefined, now: Date): string[] {
  if (!status || Object.keys(status).length === 0) return ['Status:  <none> (not reconciled yet)'];
  const observed = status.observedGeneration as number | undefined;
  const stale = observed !== undefined && generation !== undefined && observed < generation ? ' (older than the spec)' : '';
  const lines = ['Status:'];
  lines.push(
    ...field('  ', [
      ['Observed Generation', `${observed ?? '<none>'}${stale}`],
      ['Matched Containers', list(status.matchedContainers)],
      ['Matched Networks', list(status.matchedNetworks)],
      ['Dropped Packets', status.droppedPackets === undefined ? '<none>' : formatCell(status.droppedPackets)],
    ]),
  );
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Array<Record<string, unknown>>) : [];
  if (conditions.length === 0) lines.push('  Conditions:  <none>');
  else {
    lines.push('  Conditions:');
    const rows = conditions.map((c) => [
      formatCell(c.type),
      formatCell(c.status),
      formatCell(c.reason),
      when(c.lastTransitionTime as string | undefined, now),
      formatCell(c.message),
    ]);
    lines.push(...alignColumns([['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'], ...rows]).map((l) => `    ${l}`));
  }
  const extra = Object.fromEntries(Object.entries(status).filter(([key]) => !KNOWN_STATUS.includes(key)));
  if (Object.keys(extra).length > 0) lines.push(...indent(toYaml(extra), 2));
  return lines;
}

function describeHistory(history: HistoryEntry[] | string, generation: number | undefined, now: Date): string[] {
  if (typeof history === 'string') return [`History:  <unavailable: ${history}>`];
  if (history.length === 0) return ['History:  <none>'];
  const rows = history.map((e) => [
    `${e.generation}${e.generation === generation ? ' (current)' : ''}`,
    e.resourceVersion ?? '',
    when(e.timestamp, now),
  ]);
  return ['History:', ...alignColumns([['GENERATION', 'RESOURCE VERSION', 'CHANGED'], ...rows]).map((l) => `  ${l}`)];
}

/** `Label:  value` lines with values aligned; multi-line values continue under the value column. */
function field(prefix: string, pairs: Array<[string, string]>): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 3;
  return pairs.flatMap(([label, value]) => {
    const [first, ...rest] = value.split('\n');
    return [
      `${prefix}${`${label}:`.padEnd(width)}${first}`,
      ...rest.map((line) => `${prefix}${''.padEnd(width)}${line}`),
    ];
  });
}

function keyValues(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n');
}

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.map(formatCell).join(', ') : '<none>';
}

function when(timestamp: string | undefined, now: Date): string {
  return timestamp ? `${timestamp} (${age(timestamp, now)} ago)` : '<none>';
}

function indent(text: string, spaces: number): string[] {
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`);
}
