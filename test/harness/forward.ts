// Reaches a TCP port on a namespace's loopback (where the operator's API listens) from tests in
// the root namespace: a server on 127.0.0.1:<random> here that, per connection, starts a tiny
// node relay inside the namespace (nsenter --net) and pipes bytes both ways.

import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { NETNS_DIR } from './netns.js';

export interface TcpForward {
  /** The local port on 127.0.0.1 (root namespace). */
  port: number;
  /** Stops listening and cuts the open relays. */
  close(): Promise<void>;
}

// Runs inside the namespace: connect to 127.0.0.1:<argv port>, pipe stdin/stdout to it, exit when done.
const RELAY = [
  "const s = require('net').connect(Number(process.argv[1]), '127.0.0.1');",
  'process.stdin.pipe(s); s.pipe(process.stdout);',
  "s.on('error', () => process.exit(1)); s.on('close', () => process.exit(0));",
].join(' ');

/**
 * Listens on 127.0.0.1:0 and forwards each connection to 127.0.0.1:`port` inside namespace
 * `netnsName`. A connection whose far side is closed or refused is simply closed.
 */
export async function forwardTcp(netnsName: string, port: number): Promise<TcpForward> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    const relay = spawn('nsenter', [`--net=${NETNS_DIR}/${netnsName}`, process.execPath, '-e', RELAY, String(port)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    socket.pipe(relay.stdin);
    relay.stdout.pipe(socket);
    const end = (): void => {
      socket.destroy();
      relay.kill('SIGKILL');
      open.delete(socket);
    };
    relay.on('exit', () => socket.end());
    relay.on('error', end);
    relay.stdin.on('error', () => undefined);
    socket.on('error', end);
    socket.on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('harness: forwardTcp has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
