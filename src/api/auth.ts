// Bearer-token authentication with two roles: admin (everything) and viewer (reads only). Tokens
// come from the --token-file, one `TOKEN,ROLE[,NAME]` per line. Health and version stay public.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../lib/errors.js';

export type Role = 'admin' | 'viewer';

export interface TokenEntry {
  token: string;
  role: Role;
  /** Shown in Forbidden messages; defaults to the role. */
  name: string;
}

export interface AuthConfig {
  tokens: TokenEntry[];
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version']);
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MIN_TOKEN_LENGTH = 16;

/**
 * Parse a token file: `TOKEN,ROLE[,NAME]` per line (ROLE admin or viewer), `#` comments and blank
 * lines ignored. Throws Error naming `source` and the line for anything else, or when no token.
 */
export function parseTokenFile(text: string, source: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [token = '', role = '', name] = line.split(',').map((p) => p.trim());
    const where = `${source}:${i + 1}`;
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new Error(`${where}: a token must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
    }
    if (role !== 'admin' && role !== 'viewer') throw new Error(`${where}: role must be admin or viewer, not ${JSON.stringify(role)}`);
    if (entries.some((e) => e.token === token)) throw new Error(`${where}: duplicate token`);
    entries.push({ token, role, name: name || role });
  });
  if (entries.length === 0) throw new Error(`${source}: no tokens`);
  return entries;
}

/** Read and parse the token file at `path` (see parseTokenFile). */
export async function loadTokenFile(path: string): Promise<TokenEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read token file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseTokenFile(text, path);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The entry whose token equals `presented`, compared in constant time. */
export function findToken(tokens: TokenEntry[], presented: string): TokenEntry | undefined {
  const wanted = digest(presented);
  let found: TokenEntry | undefined;
  for (const entry of tokens) if (timingSafeEqual(digest(entry.token), wanted)) found = entry;
  return found;
}

/**
 * Express middleware: 401 without a valid `Authorization: Bearer` token, 403 when a viewer writes.
 * Public paths (health, version) pass. Errors are thrown for the error middleware to render.
 */
export function authenticate(config: AuthConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (PUBLIC_PATHS.has(req.path)) return next();
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const entry = m ? findToken(config.tokens, m[1]!) : undefined;
    if (!entry) throw new UnauthorizedError('Unauthorized');
    res.locals.user = entry.name;
    if (entry.role !== 'admin' && !READ_METHODS.has(req.method)) {
      throw new ForbiddenError(`User ${JSON.stringify(entry.name)} cannot ${verbOf(req.method)} at ${req.path}: the viewer role is read-only`);
    }
    next();
  };
}

function verbOf(method: string): string {
  return { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
}
