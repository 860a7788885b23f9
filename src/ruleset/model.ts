// The abstract firewall dockfence wants: plain data that both backends (nftables, iptables)
// render into one transaction and parse back. No backend syntax and no I/O here.
//
// Shape: named sets, chains (four base chains hooked into the kernel plus per-network chains
// they dispatch to) and rules. Each rule carries a stable hash (see hash.ts) that backends write
// into the rule's comment as `dockfence:<hash>`, so a live rule maps back to a desired one.

export type AddressFamily = 'ipv4' | 'ipv6';

/** Base chains and where they hook. forward/input filter; prerouting = DNAT, postrouting = SNAT. */
export type Hook = 'forward' | 'input' | 'prerouting' | 'postrouting';

export interface NamedSet {
  name: string;
  /** ifname: interface names; ipv4/ipv6: addresses or CIDR prefixes (interval sets). */
  type: 'ifname' | 'ipv4' | 'ipv6';
  elements: string[]; // sorted, deduplicated
}

/** Interface match: literal names or a set reference, optionally negated. */
export interface IfMatch {
  names?: string[];
  set?: string;
  negate?: boolean;
}

/** Address match: CIDRs/addresses of one family, or a set of that family, optionally negated. */
export interface AddrMatch {
  family: AddressFamily;
  cidrs?: string[];
  set?: string;
  negate?: boolean;
}

export interface PortRange {
  from: number;
  to: number; // == from for a single port
}

export interface Match {
  /** Restrict the rule to one address family (implied when saddr/daddr is set). */
  family?: AddressFamily;
  iif?: IfMatch;
  oif?: IfMatch;
  saddr?: AddrMatch;
  daddr?: AddrMatch;
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  /** Destination ports; requires protocol tcp or udp. */
  dports?: PortRange[];
  ctState?: Array<'new' | 'established' | 'related' | 'invalid'>;
  /** The connection was destination-NATed (a published port). */
  ctDnat?: boolean;
  /** Destination is an address of the host itself. */
  daddrLocal?: boolean;
  /** The packet's key (the set's fields, concatenated) is an element of this LookupSet. */
  lookup?: string;
}

/** A packet field that can be part of a LookupSet key. */
export type KeyField = 'iif' | 'oif' | 'saddr' | 'daddr' | 'protocol' | 'dport';

/** One element of a LookupSet: a value for each key field, and whose packets its counter counts. */
export interface LookupElement {
  iif?: string;
  oif?: string;
  saddr?: string; // address or CIDR of the set's family
  daddr?: string;
  protocol?: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  dport?: PortRange;
  counter: CounterLabels;
  /** Which resource asked for this element (shown by `dockfence check`). */
  origin?: string;
}

/**
 * A table of keys, each with its own counter: one rule (`match.lookup`) tests a packet against
 * every element in one step, so the cost per packet does not grow with network pairs or
 * exceptions. nftables renders a concatenated set with per-element counters; iptables expands
 * one rule per element (lookups.ts). Elements must not overlap (the compiler ensures it).
 */
export interface LookupSet {
  name: string;
  /** Fields of the key, in order. */
  key: KeyField[];
  /** Required when the key has saddr or daddr. */
  family?: AddressFamily;
  elements: LookupElement[];
  /**
   * Counts instead of matching: a rule's lookup of a dynamic set always holds (when the rest of
   * its match does) and counts the packet on the element of the packet's key. Only in rules with
   * verdict `continue`. nftables adds elements as packets arrive (`update @set { key }`), so the
   * kernel holds only keys that saw traffic; `elements` gives the labels of every expected key.
   */
  dynamic?: boolean;
}

/** Metric identity of a counted rule; the metrics layer turns these into Prometheus labels. */
export type CounterLabels =
  | {
      metric: 'dropped' | 'audit';
      srcNetwork: string;
      dstNetwork: string; // a network name, or host | protected | external
      reason: 'same_network' | 'other_network' | 'host' | 'protected' | 'external';
      policy: string;
    }
  | { metric: 'exception'; kind: 'ExposeRule' | 'EgressException'; name: string };

export type Verdict =
  | { kind: 'accept' }
  | { kind: 'drop' }
  | { kind: 'return' }
  /** Count only and go on to the next rule (Audit mode). */
  | { kind: 'continue' }
  | { kind: 'jump'; chain: string }
  /** Jump by interface name: one lookup, not one rule per network (nft vmap; iptables expands). */
  | { kind: 'dispatch'; on: 'iif' | 'oif'; targets: Array<{ ifname: string; chain: string }> }
  /** Admit as an exception: set Ruleset.acceptMark on the connection, then accept. */
  | { kind: 'markAccept' }
  | { kind: 'dnat'; family: AddressFamily; address: string; port?: number }
  | { kind: 'masquerade' };

export interface Rule {
  match: Match;
  verdict: Verdict;
  /** Present when the rule's packets are counted for metrics. */
  counter?: CounterLabels;
  /** Human note rendered beside the hash tag: which resource asked for this rule. */
  origin?: string;
  /**
   * nftables only (Ruleset.dropsBySource): record the packet's source address and input
   * interface, with a counter, in the per-source drop set of this family. Added by the backend.
   */
  sourceDrops?: AddressFamily;
}

export interface Chain {
  name: string; // [a-z0-9_-], <= 28 chars; backends add their own prefix
  hook?: Hook;
  rules: Rule[];
}

export interface Ruleset {
  sets: NamedSet[];
  /** Keyed tables with per-element counters that rules test with `match.lookup`. */
  lookups?: LookupSet[];
  chains: Chain[];
  /** Conntrack mark bit (a single bit) that admitted exceptions carry. */
  acceptMark: number;
  /** Docker manages iptables: exceptions must also be accepted in Docker's DOCKER-USER chain. */
  dockerIptables: boolean;
  /** Opt-in investigation mode: also count drops per source address (nftables dynamic sets). */
  dropsBySource?: boolean;
}

/** Conntrack mark bit dockfence owns. */
export const ACCEPT_MARK = 0x00100000;

export const BASE_CHAINS: Readonly<Record<Hook, string>> = {
  forward: 'forward',
  input: 'input',
  prerouting: 'prerouting',
  postrouting: 'postrouting',
};
