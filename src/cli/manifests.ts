// Reads the manifests behind `-f FILE|DIR|-`: files, directories (with -R, recursively) and stdin,
// each split into its YAML/JSON documents. A bad document stops everything with one line naming
// the file and the position, before anything is sent to the server.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { API_VERSION } from '../resources/types.js';
import { CliError } from './errors.js';
import { kindInfoOf, type KindInfo } from './kinds.js';

/** One resource document from a manifest source. */
export interface Manifest {
  /** `file:line` where the document starts, for messages. */
  where: string;
  info: KindInfo;
  object: ManifestObject;
}

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
  [key: string]: unknown;
}

export interface ManifestSource {
  name: string; // file path, or "stdin"
  text: string;
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Split one source into dockfence resource documents. Empty documents are skipped and
 * `kind: List` is flattened. Throws CliError naming `file:line:col` for bad YAML, and
 * `file:line` for a document that is not a dockfence resource or has no metadata.name.
 */
export function parseManifests(source: ManifestSource): Manifest[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source.text, { lineCounter, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const manifests: Manifest[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const at = pos ? `:${pos.line}:${pos.col}` : '';
      const text = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      throw new CliError(`${source.name}${at}: invalid YAML: ${text}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const line = lineCounter.linePos(doc.contents?.range[0] ?? 0).line;
    manifests.push(...toManifests(value, `${source.name}:${line}`));
  }
  return manifests;
}

function toManifests(value: unknown, where: string): Manifest[] {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw new CliError(`${where}: a manifest document must be a mapping with apiVersion, kind and metadata`);
  }
  const obj = value as Record<string, unknown>;
  if (obj.kind === 'List' && Array.isArray(obj.items)) {
    return obj.items.flatMap((item) => toManifests(item, where));
  }
  if (typeof obj.kind !== 'string' || obj.kind === '') throw new CliError(`${where}: missing "kind"`);
  if (typeof obj.apiVersion !== 'string') throw new CliError(`${where}: missing "apiVersion"`);
  const info = kindInfoOf(obj.kind);
  if (!info || obj.apiVersion !== API_VERSION) {
    throw new CliError(
      `${where}: ${obj.apiVersion} ${obj.kind} is not a dockfence resource ` +
        `(expected apiVersion ${API_VERSION} and kind IsolationPolicy, ExposeRule or EgressException)`,
    );
  }
  const metadata = obj.metadata as Record<string, unknown> | undefined;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.name !== 'string' || metadata.name === '') {
    throw new CliError(`${where}: ${obj.kind} has no metadata.name`);
  }
  return [{ where, info, object: obj as ManifestObject }];
}

/**
 * Read every `-f` argument: `-` reads `stdin`, a directory yields its .yaml/.yml/.json files in
 * name order (subdirectories only when `recursive`). Throws CliError for a missing path.
 */
export async function readManifestSources(
  paths: string[],
  options: { recursive: boolean; stdin: () => Promise<string> },
): Promise<ManifestSource[]> {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ name: 'stdin', text: await options.stdin() });
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new CliError(`the path "${path}" does not exist`);
    if (info.isDirectory()) sources.push(...(await readDirectory(path, options.recursive)));
    else sources.push({ name: path, text: await readFile(path, 'utf8') });
  }
  return sources;
}

async function readDirectory(dir: string, recursive: boolean): Promise<ManifestSource[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const sources: ManifestSource[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) sources.push(...(await readDirectory(path, recursive)));
    } else if (EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
      sources.push({ name: path, text: await readFile(path, 'utf8') });
    }
  }
  return sources;
}

/** Read and parse all `-f` arguments into resource documents (see parseManifests). */
export async function loadManifests(
  paths: string[],
  options: { recursive: boolean; stdin: () => Promise<string> },
): Promise<Manifest[]> {
  if (paths.length === 0) throw new CliError('must specify -f FILE, DIR or - (stdin)');
  const sources = await readManifestSources(paths, options);
  const manifests = sources.flatMap(parseManifests);
  if (manifests.length === 0) throw new CliError(`no objects passed (${paths.join(', ')} holds no resource documents)`);
  return manifests;
}
