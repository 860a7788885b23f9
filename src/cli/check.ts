// `dockfence check --from CONTAINER --to TARGET:PORT/PROTO`: asks the server whether that traffic
// is allowed and which resource decides it. Exit 0 allowed, 1 denied, 2 error (so scripts can
// `if dockfence check ...`). Server endpoint: GET /apis/dockfence.io/v1alpha1/check?from=&to=.

import type { Command } from 'commander';
import { API_VERSION } from '../resources/types.js';
import { withErrorExit, type CliContext } from './context.js';
import { CliError, ServerError } from './errors.js';
import { toJson, toYaml } from './output.js';

export const CHECK_PATH = `/apis/${API_VERSION}/check`;

export interface CheckTarget {
  target: string;
  port?: number;
  protocol: 'tcp' | 'udp' | 'icmp';
}

export interface CheckAnswer {
  verdict: string;
  decidedBy?: { kind?: string; name?: string } | null;
  reason?: string;
  [k: string]: unknown;
}

/**
 * Parse `TARGET:PORT[/PROTO]` (PROTO tcp by default), `[IPv6]:PORT/PROTO`, or `TARGET/icmp`.
 * TARGET is a container name, an address, or `host`. Throws CliError for anything else.
 */
export function parseCheckTarget(text: string): CheckTarget {
  const icmp = /^(.+)\/icmp$/i.exec(text);
  if (icmp && !/:\d+\/icmp$/i.test(text)) return { target: unbracket(icmp[1]!), protocol: 'icmp' };
  const m = /^(\[[^\]]+\]|[^\s]+):(\d{1,5})(?:\/(tcp|udp|icmp))?$/i.exec(text);
  if (!m) throw new CliError(`invalid --to "${text}": expected TARGET:PORT/PROTO, e.g. app1-wordpress:80/tcp`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new CliError(`invalid --to "${text}": port must be 1-65535`);
  return { target: unbracket(m[1]!), port, protocol: (m[3]?.toLowerCase() ?? 'tcp') as CheckTarget['protocol'] };
}

/** The canonical `TARGET:PORT/PROTO` sent to the server. */
export function formatCheckTarget(t: CheckTarget): string {
  const target = t.target.includes(':') ? `[${t.target}]` : t.target;
  return t.port === undefined ? `${target}/${t.protocol}` : `${target}:${t.port}/${t.protocol}`;
}

/** True when a verdict means the traffic passes (Allow/Allowed/Accept, case-insensitive). */
export function isAllowed(verdict: string): boolean {
  return /^(allow|allowed|accept|accepted)$/i.test(verdict);
}

/** One line: `Allow: a -> b:80/tcp, decided by ExposeRule/x (reason)`. */
export function describeAnswer(from: string, to: string, answer: CheckAnswer): string {
  const decided = answer.decidedBy?.kind
    ? `decided by ${answer.decidedBy.kind}/${answer.decidedBy.name ?? '?'}`
    : 'decided by no resource (Docker default)';
  const reason = answer.reason ? ` (${answer.reason})` : '';
  const audited = Array.isArray(answer.audited) && answer.audited.length > 0 ? `; Audit mode would deny it: ${answer.audited.join(', ')}` : '';
  return `${answer.verdict}: ${from} -> ${to}, ${decided}${reason}${audited}`;
}

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('would this traffic pass? prints the verdict and the deciding resource (exit 0 allowed, 1 denied, 2 error)')
    .requiredOption('--from <container>', 'source container name')
    .requiredOption('--to <target>', 'TARGET:PORT/PROTO: a container, an address or "host", e.g. app1-wordpress:80/tcp')
    .option('-o, --output <format>', 'yaml or json')
    .action(async (opts: { from: string; to: string; output?: string }) =>
      withErrorExit(ctx, 2, async () => {
        const to = formatCheckTarget(parseCheckTarget(opts.to));
        let answer: CheckAnswer;
        try {
          answer = await ctx.client().request<CheckAnswer>('GET', CHECK_PATH, { query: { from: opts.from, to } });
        } catch (err) {
          if (err instanceof ServerError && isMissingEndpoint(err)) {
            throw new CliError(`the server at ${ctx.client().server} does not support check yet (GET ${CHECK_PATH}: HTTP ${err.httpStatus})`);
          }
          throw err;
        }
        if (typeof answer?.verdict !== 'string') throw new CliError(`the server's check answer has no verdict`);
        if (opts.output === 'json') ctx.write(toJson(answer));
        else if (opts.output === 'yaml') ctx.write(toYaml(answer));
        else ctx.out(describeAnswer(opts.from, to, answer));
        ctx.exitCode = isAllowed(answer.verdict) ? 0 : 1;
      }),
    );
}

/**
 * The server lacks the endpoint (an older server, or one started without diagnostics), as
 * opposed to a 404 about a named container: 405/501, or 404 with the server's generic message.
 */
export function isMissingEndpoint(err: ServerError): boolean {
  if (err.httpStatus === 405 || err.httpStatus === 501) return true;
  const message = err.status?.message ?? err.body;
  return err.httpStatus === 404 && /could not find the requested resource|not served here|^$/.test(message);
}

function unbracket(text: string): string {
  return text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
}
