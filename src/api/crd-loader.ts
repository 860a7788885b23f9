// Reads the CRD files shipped in the package's crds/ folder. The path is resolved from this file,
// so it is the same from src/api (tsx) and dist/api (compiled): both sit two levels below the root.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { CrdRegistry, parseCrd } from '../resources/crd.js';
import { KINDS } from '../resources/types.js';

/** The package's crds/ folder. */
export const DEFAULT_CRD_DIR = fileURLToPath(new URL('../../crds/', import.meta.url));

/**
 * Load every *.yaml CRD in `dir` (default: the package's crds/). Throws Error naming the file
 * when one cannot be read or parsed, and when a kind of types.ts has no CRD.
 */
export function loadCrds(dir: string = DEFAULT_CRD_DIR): CrdRegistry {
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const crds = files.flatMap((file) => {
    const path = join(dir, file);
    const docs = parseAllDocuments(readFileSync(path, 'utf8'));
    return docs.map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message.split('\n')[0]}`);
      return parseCrd(doc.toJS(), path);
    });
  });
  const registry = new CrdRegistry(crds);
  for (const kind of KINDS) {
    if (!registry.all.some((c) => c.kind === kind)) throw new Error(`${dir}: no CustomResourceDefinition for ${kind}`);
  }
  return registry;
}
