// `dockfence doctor`: the server's host preflight (br_netfilter, bridge sysctls, backend tools,
// Docker's iptables mode) as a checklist with the fix for each failure. Exit 0 all passed,
// 1 a check failed, 2 error. Server endpoint: GET /debug/doctor -> {checks: [...]}.

import type { Command } from 'commander';
import { withErrorExit, type CliContext } from './context.js';
import { CliError, ServerError } from './errors.js';
import { isMissingEndpoint } from './check.js';
import { alignColumns, toJson, toYaml } from './output.js';

export const DOCTOR_PATH = '/debug/doctor';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  message?: string;
  fix?: string;
}

/** The checklist lines: `OK`/`FAIL`, name, message, and an indented `fix:` under each failure. */
export function renderDoctor(checks: DoctorCheck[]): string[] {
  const rows = alignColumns(checks.map((c) => [c.ok ? 'OK' : 'FAIL', c.name, c.message ?? '']));
  const lines: string[] = [];
  checks.forEach((check, i) => {
    lines.push(rows[i]!);
    if (!check.ok && check.fix) lines.push(`      fix: ${check.fix}`);
  });
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
  return lines;
}

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description("check the host's readiness for dockfence (exit 0 ready, 1 a check failed, 2 error)")
    .option('-o, --output <format>', 'yaml or json')
    .action(async (opts: { output?: string }) =>
      withErrorExit(ctx, 2, async () => {
        let body: { checks?: DoctorCheck[]; ready?: boolean };
        try {
          body = await ctx.client().request<{ checks?: DoctorCheck[]; ready?: boolean }>('GET', DOCTOR_PATH);
        } catch (err) {
          if (err instanceof ServerError && isMissingEndpoint(err)) {
            throw new CliError(`the server at ${ctx.client().server} does not support doctor yet (GET ${DOCTOR_PATH}: HTTP ${err.httpStatus})`);
          }
          throw err;
        }
        const checks = Array.isArray(body?.checks) ? body.checks : undefined;
        if (!checks) throw new CliError(`the server's doctor answer has no checks`);
        const ready = checks.length > 0 && checks.every((c) => c.ok) && body.ready !== false;
        if (opts.output === 'json') ctx.write(toJson(body));
        else if (opts.output === 'yaml') ctx.write(toYaml(body));
        else if (checks.length === 0) ctx.out('the server has not run its host preflight yet; try again shortly');
        else ctx.out(renderDoctor(checks).join('\n'));
        ctx.exitCode = ready ? 0 : 1;
      }),
    );
}
