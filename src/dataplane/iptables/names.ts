// Names and tags the iptables backend writes into the kernel: our chain names (`DF-...`), the
// tables they live in, where each base chain is hooked from, and the `dockfence:` comments that
// let parse map a kernel rule back to the abstract rule it came from.

import { hashString } from '../../ruleset/hash.js';
import type { AddressFamily, Hook } from '../../ruleset/model.js';
import { bug } from '../../lib/errors.js';

export type IptTable = 'filter' | 'nat';

/** Every chain whose name starts with this is ours, in both tables and both families. */
export const CHAIN_PREFIX = 'DF-';

/** iptables refuses chain names longer than this (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;

/** Helper chains of negated multi-value matches: `DF-N` + 8 lowercase hex digits. */
const HELPER_RE = /^DF-N[0-9a-f]{8}$/;

/** Model chain name -> kernel chain name. Throws a dockfence bug for names iptables cannot hold. */
export function kernelChainName(modelName: string): string {
  if (!/^[a-z0-9_-]+$/.test(modelName)) throw bug(`chain name ${JSON.stringify(modelName)} is not [a-z0-9_-]+`);
  const name = `${CHAIN_PREFIX}${modelName.toUpperCase()}`;
  if (name.length > MAX_CHAIN_NAME) throw bug(`chain name ${name} is longer than ${MAX_CHAIN_NAME} characters`);
  if (isHelperChain(name)) throw bug(`chain name ${name} collides with a helper chain name`);
  return name;
}

/** Kernel chain name -> model chain name; undefined for chains that are not ours or are helpers. */
export function modelChainName(kernelName: string): string | undefined {
  if (!kernelName.startsWith(CHAIN_PREFIX) || isHelperChain(kernelName)) return undefined;
  return kernelName.slice(CHAIN_PREFIX.length).toLowerCase();
}

export function isOwnedChain(kernelName: string): boolean {
  return kernelName.startsWith(CHAIN_PREFIX);
}

export function isHelperChain(kernelName: string): boolean {
  return HELPER_RE.test(kernelName);
}

/** The helper chain of the abstract rule tagged `tag` (lowercase hex keeps it apart from model chains). */
export function helperChainName(tag: string): string {
  return `${CHAIN_PREFIX}N${tag.slice(0, 8)}`;
}

export const HOOK_TABLE: Readonly<Record<Hook, IptTable>> = {
  forward: 'filter',
  input: 'filter',
  prerouting: 'nat',
  postrouting: 'nat',
};

/** The hook id used in ObservedRuleset.hooks and in the hook rule's comment. */
export function hookId(hook: Hook): string {
  return `hook-${hook}`;
}

export function hookComment(hook: Hook): string {
  return `dockfence:${hookId(hook)}`;
}

/** Hook id from a comment, when the comment is one of our hook comments. */
export function parseHookComment(comment: string): Hook | undefined {
  const m = /^dockfence:hook-(forward|input|prerouting|postrouting)$/.exec(comment);
  return m ? (m[1] as Hook) : undefined;
}

/**
 * The foreign chain a base chain is jumped to from. forward goes through Docker's DOCKER-USER
 * when Docker manages iptables and that chain exists in this family's filter table (Docker 20.10
 * creates it only for the families it manages), else straight from FORWARD.
 */
export function hookParent(hook: Hook, viaDockerUser: boolean): string {
  switch (hook) {
    case 'forward':
      return viaDockerUser ? 'DOCKER-USER' : 'FORWARD';
    case 'input':
      return 'INPUT';
    case 'prerouting':
      return 'PREROUTING';
    case 'postrouting':
      return 'POSTROUTING';
  }
}

/**
 * Comment of one kernel rule: `dockfence:<rule hash>/<spec digest>[ <origin>]`. The digest of
 * the rule's own text lets plan see set-element changes that leave the abstract hash unchanged.
 */
export function ruleComment(tag: string, digest: string, origin?: string): string {
  const note = origin ? sanitizeOrigin(origin) : '';
  return note ? `dockfence:${tag}/${digest} ${note}` : `dockfence:${tag}/${digest}`;
}

/** Tag and digest of a rule comment written by ruleComment; undefined for anything else. */
export function parseRuleComment(comment: string): { tag: string; digest?: string } | undefined {
  const m = /^dockfence:([0-9a-f]{16})(?:\/([0-9a-f]{8}))?(?:\s|$)/.exec(comment);
  if (!m) return undefined;
  return m[2] ? { tag: m[1]!, digest: m[2] } : { tag: m[1]! };
}

/** Digest of a kernel rule's text (chain and arguments, comment excluded). */
export function ruleDigest(chain: string, args: readonly string[]): string {
  return hashString(`${chain} ${args.join(' ')}`).slice(0, 8);
}

/** Origins are notes for humans: keep them to characters that need no quoting care, bounded. */
function sanitizeOrigin(origin: string): string {
  return origin.replace(/[^A-Za-z0-9._/:=@-]/g, '_').slice(0, 180);
}

export const FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];
