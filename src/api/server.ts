// startApiServer: listen on HOST:PORT (HTTP, or HTTPS with a cert and key), refusing any address
// beyond loopback for an app without tokens, and close cleanly even with watches open.
// createApiApp is re-exported so callers import both from here.

import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { AppMarks } from './app.js';

export { createApiApp, type ApiAppOptions } from './app.js';
export type { AuthConfig, TokenEntry, Role } from './auth.js';
export { loadTokenFile, parseTokenFile } from './auth.js';

export interface StartOptions {
  app: Express;
  /** HOST:PORT; `[::1]:8080` for IPv6; port 0 picks a free port. */
  listen: string;
  /** PEM file paths. */
  tls?: { cert: string; key: string };
  /** Allow a non-loopback address without tokens (for a read-only app such as metrics). */
  allowUnauthenticated?: boolean;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 (the real port when 0 was asked). */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Split HOST:PORT. Throws Error for anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`invalid listen address ${JSON.stringify(listen)}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  return { host: m[1] ?? m[2]!, port };
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::ffff:127.0.0.1';
}

/**
 * Listen and resolve once accepting connections. Throws Error before listening when the address
 * is beyond loopback and the app has no tokens (a write API must not be open to the network),
 * and when the port cannot be bound.
 */
export async function startApiServer(options: StartOptions): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen);
  const marks = options.app.locals as AppMarks;
  if (!isLoopback(host) && !marks.dockfenceAuth && !marks.dockfenceReadOnly && !options.allowUnauthenticated) {
    throw new Error(
      `refusing to listen on ${options.listen} without tokens: an API reachable beyond loopback requires --token-file`,
    );
  }
  const server: Server = options.tls
    ? createHttpsServer({ cert: await readFile(options.tls.cert), key: await readFile(options.tls.key) }, options.app)
    : createHttpServer(options.app);
  server.requestTimeout = 0; // watches stay open for as long as timeoutSeconds says
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${shownHost}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
