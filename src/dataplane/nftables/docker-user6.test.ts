// Where our ip6tables rule belongs, read from real `ip6tables -S` output of Docker 20.10
// (testdata/ip6tables-docker20-*.txt) and from hand-made layouts of Docker 23 and plain hosts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIp6tablesFilter, strayCount } from './docker-user6.js';

const recorded = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const POLICIES = '-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n';
const OURS_FWD = '-A FORWARD -m connmark --mark 0x100000/0x100000 -m comment --comment "dockfence:docker-user" -j ACCEPT';

describe('parseIp6tablesFilter', () => {
  it('a fresh dockerd 20.10 --ip6tables (chains, no FORWARD jump, no DOCKER-USER): FORWARD, nothing of ours yet', () => {
    expect(parseIp6tablesFilter(recorded('ip6tables-docker20-fresh.txt'))).toEqual({ parent: 'FORWARD', ours: { 'DOCKER-USER': [], FORWARD: [] } });
  });

  it('after Docker made another network: ours sits behind its isolation jump and the new bridge\'s rules', () => {
    const state = parseIp6tablesFilter(recorded('ip6tables-docker20-new-network.txt'));
    expect(state).toEqual({ parent: 'FORWARD', ours: { 'DOCKER-USER': [], FORWARD: [{ position: 5, mark: 0x100000 }] } });
    expect(strayCount(state)).toBe(0);
  });

  it('a FORWARD jump to a Docker chain is enough to tell Docker manages ip6tables', () => {
    expect(parseIp6tablesFilter(`${POLICIES}-A FORWARD -o br-1 -j DOCKER\n`).parent).toBe('FORWARD');
  });

  it('DOCKER-USER (Docker 23+) wins over FORWARD; ours in FORWARD then is stray', () => {
    const text = `${POLICIES}-N DOCKER\n-N DOCKER-USER\n${OURS_FWD}\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\n`;
    const state = parseIp6tablesFilter(text);
    expect(state).toEqual({ parent: 'DOCKER-USER', ours: { 'DOCKER-USER': [], FORWARD: [{ position: 0, mark: 0x100000 }] } });
    expect(strayCount(state)).toBe(1);
  });

  it('no Docker chains: no parent, and any rule of ours is stray; look-alike names are not Docker\'s', () => {
    expect(parseIp6tablesFilter(POLICIES)).toEqual({ ours: { 'DOCKER-USER': [], FORWARD: [] } });
    const text = `${POLICIES}-N DOCKERISH\n${OURS_FWD}\n-A FORWARD -j DOCKERISH\n`;
    const state = parseIp6tablesFilter(text);
    expect(state.parent).toBeUndefined();
    expect(strayCount(state)).toBe(1);
  });

  it('a rule carrying our tag but not our form has no mark (it is replaced, never kept)', () => {
    const text = `${POLICIES}-N DOCKER\n-A FORWARD -m comment --comment "dockfence:docker-user" -j ACCEPT\n`;
    expect(parseIp6tablesFilter(text).ours.FORWARD).toEqual([{ position: 0 }]);
  });
});
