// Credentials for private repositories, always from a FILE: an SSH private key (used through
// GIT_SSH_COMMAND) or an HTTPS token (handed to git by an askpass helper that reads the file).
// The secret never reaches a command line, the environment, a log line or the status.

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidError } from '../lib/errors.js';

export type GitCredentials =
  | { kind: 'none' }
  | { kind: 'ssh'; keyFile: string }
  /** `file` holds `TOKEN` or `USERNAME:TOKEN` on its first line; `secrets` are for redaction only. */
  | { kind: 'token'; file: string; secrets: string[] };

/**
 * Read `file` (when given) to learn what kind of credential it holds: a PEM/OpenSSH private key
 * or a token line. Throws Error naming the file (never its content) when unreadable or empty.
 */
export async function loadGitCredentials(file: string | undefined): Promise<GitCredentials> {
  if (file === undefined) return { kind: 'none' };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read git credentials file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { kind: 'ssh', keyFile: file };
  const line = text.split(/\r?\n/)[0]!.trim();
  if (line === '') throw new Error(`git credentials file ${file} is empty (expected a token, USER:TOKEN, or an SSH private key)`);
  const colon = line.indexOf(':');
  const token = colon >= 0 ? line.slice(colon + 1) : line;
  return { kind: 'token', file, secrets: [...new Set([line, token].filter((s) => s.length >= 4))] };
}

/**
 * Check a repository URL before it is ever passed to git: https, http, ssh, git, file URLs,
 * scp-like `user@host:path` and local paths are accepted. A password or token inside the URL is
 * refused (credentials belong in a file), as is anything git would read as an option.
 * Throws InvalidError with a field cause on `repo`.
 */
export function checkRepoUrl(url: string): string {
  const refuse = (message: string): never => {
    throw new InvalidError(`invalid GitOps repository URL: ${message}`, [{ field: 'repo', message }]);
  };
  if (url.trim() === '' || url !== url.trim() || /[\s\0]/.test(url)) refuse('must be a URL or path without spaces');
  if (url.startsWith('-')) refuse('must not start with "-"');
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) refuse(`unsupported scheme ${scheme}:// (use https, ssh, git or file)`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return refuse('does not parse');
    }
    if (parsed.password !== '') refuse('contains a password or token; put it in the credentials file instead');
    if ((scheme === 'https' || scheme === 'http') && parsed.username !== '') {
      refuse('contains a user name with an http(s) URL; put USER:TOKEN in the credentials file instead');
    }
  } else if (/^[a-zA-Z][a-zA-Z0-9+.-]*::/.test(url)) {
    refuse('git remote helpers (transport::address) are not allowed');
  }
  return url;
}

/** Check a branch name as git would accept it for refs/heads/<branch>; throws InvalidError. */
export function checkBranch(branch: string): string {
  const ok =
    /^[A-Za-z0-9._/-]+$/.test(branch) &&
    !branch.startsWith('-') &&
    !branch.startsWith('/') &&
    !branch.endsWith('/') &&
    !branch.endsWith('.lock') &&
    !branch.endsWith('.') &&
    !branch.includes('..') &&
    !branch.includes('//') &&
    !branch.split('/').some((part) => part.startsWith('.'));
  if (!ok) throw new InvalidError(`invalid GitOps branch "${branch}"`, [{ field: 'branch', message: 'not a valid git branch name' }]);
  return branch;
}

// The askpass helper git calls with a prompt ("Username for ...", "Password for ..."). It reads
// the credentials file itself, so the token is in no argument and no environment variable;
// printf is a shell builtin, so no process ever carries the token in its arguments either.
export const ASKPASS_SCRIPT = `#!/bin/sh
# dockfence GitOps askpass helper: answers git's prompts from $DOCKFENCE_GIT_CREDENTIALS_FILE.
line=$(head -n 1 -- "$DOCKFENCE_GIT_CREDENTIALS_FILE" | tr -d '\\r')
case "$line" in
  *:*) user=\${line%%:*}; pass=\${line#*:} ;;
  *) user=x-access-token; pass=$line ;;
esac
case "$1" in
  Username*|username*) printf '%s\\n' "$user" ;;
  *) printf '%s\\n' "$pass" ;;
esac
`;

/** Write the askpass helper into `dir` (mode 0700) and return its path. */
export async function writeAskpassHelper(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'git-askpass.sh');
  await writeFile(path, ASKPASS_SCRIPT, { mode: 0o700 });
  await chmod(path, 0o700);
  return path;
}

/**
 * The environment every git command of a sync runs with, on top of the process environment minus
 * its GIT_* variables: no prompts, no system or global git config (so no stored credential
 * helpers), only the safe transports, and the credential plumbing for `credentials`.
 * GIT_SSH_COMMAND is a fixed string; the key's path reaches ssh through a variable, not the shell text.
 */
export function gitEnvironment(credentials: GitCredentials, askpassPath: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
    GIT_LITERAL_PATHSPECS: '1',
    SSH_ASKPASS_REQUIRE: 'never',
    LC_ALL: 'C',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
  };
  if (credentials.kind === 'ssh') {
    env.DOCKFENCE_GIT_SSH_KEY = credentials.keyFile;
    env.GIT_SSH_COMMAND =
      'ssh -i "$DOCKFENCE_GIT_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new';
  }
  if (credentials.kind === 'token') {
    if (!askpassPath) throw new Error('dockfence bug: token credentials without an askpass helper');
    env.GIT_ASKPASS = askpassPath;
    env.DOCKFENCE_GIT_CREDENTIALS_FILE = credentials.file;
  }
  return env;
}

/**
 * A function that removes secrets from text bound for logs and status: each known secret, and
 * any `user:password@` inside URLs.
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(/([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^/@\s]*:[^/@\s]*@/g, '$1***@');
    for (const secret of sorted) out = out.split(secret).join('***');
    return out;
  };
}
