// The harness's container image without a registry: busybox-static plus our static dfprobe,
// packed as a tar for `docker import` (HARNESS.md). Built once per busybox/probe version and
// cached under os.tmpdir(), so parallel test files and later runs reuse it.

import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from './netns.js';

export const IMAGE_REF = 'local/busybox:test';
export const BUSYBOX = '/bin/busybox';
/** The file every test web server serves, so `GET /x` gets a 200 with this body. */
export const WEB_BODY = 'dockfence-harness\n';

const PROBE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'dfprobe.c');
const APPLETS = ['sh', 'nc', 'wget', 'httpd', 'ping', 'ping6', 'sleep', 'ip', 'cat', 'echo', 'ls', 'printf', 'kill', 'ps', 'sysctl', 'hostname'];
const LAYOUT_VERSION = '1';

export interface HarnessImage {
  /** `tar` of the image root for `docker import`. */
  tarPath: string;
  /** The static probe, also usable outside containers (host and LAN namespaces). */
  probePath: string;
  /** A directory with file `x` (WEB_BODY), for busybox httpd outside containers. */
  webRoot: string;
  /** True when this call built the files, false when the cache had them. */
  built: boolean;
}

export function cacheDir(): string {
  return join(tmpdir(), 'dockfence-harness-cache');
}

/**
 * Returns the cached image tar and probe, building them first when missing: compiles dfprobe.c
 * with `gcc -static` (needs gcc and libc6-dev), lays out busybox + applet symlinks + /bin/dfprobe
 * + /www/x, and tars it. Writes go to a temporary name and are renamed, so concurrent callers
 * never see a half-written file. Throws when gcc or tar fail.
 */
export async function ensureHarnessImage(): Promise<HarnessImage> {
  const source = readFileSync(PROBE_SOURCE);
  const key = createHash('sha256').update(readFileSync(BUSYBOX)).update(source).update(LAYOUT_VERSION).digest('hex').slice(0, 16);
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const tarPath = join(dir, `busybox-${key}.tar`);
  const probePath = join(dir, `dfprobe-${key}`);
  const webRoot = join(dir, 'www');
  if (!existsSync(join(webRoot, 'x'))) {
    mkdirSync(webRoot, { recursive: true });
    writeFileSync(join(webRoot, 'x'), WEB_BODY);
  }
  if (existsSync(tarPath) && existsSync(probePath)) return { tarPath, probePath, webRoot, built: false };

  const work = mkdtempSync(join(dir, 'build-'));
  try {
    const probeTmp = join(work, 'dfprobe');
    await runOk('gcc', ['-static', '-O2', '-Wall', '-o', probeTmp, PROBE_SOURCE], { timeoutMs: 120_000 });
    const root = join(work, 'root');
    for (const sub of ['bin', 'www', 'tmp', 'etc']) mkdirSync(join(root, sub), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    for (const applet of APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
    copyFileSync(probeTmp, join(root, 'bin', 'dfprobe'));
    chmodSync(join(root, 'bin', 'dfprobe'), 0o755);
    chmodSync(join(root, 'tmp'), 0o1777);
    writeFileSync(join(root, 'www', 'x'), WEB_BODY);
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
    const tarTmp = join(work, 'image.tar');
    await runOk('tar', ['-C', root, '-cf', tarTmp, '.']);
    renameSync(probeTmp, probePath);
    renameSync(tarTmp, tarPath);
    return { tarPath, probePath, webRoot, built: true };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
