// Which chain and set names nft 1.0.6 can parse unquoted. nft cannot quote chain names, and any
// word its scanner knows as a keyword (`drop`, `ip`, `state`, ...) fails as a name.

import { bug } from '../../lib/errors.js';

/** Words nft's scanner turns into tokens (from nftables src/scanner.l, all scanner states). */
const NFT_KEYWORDS = new Set(
  `eq ne le lt ge gt lshift rshift xor and or not vmap include define redefine undefine describe
  chains sets tables rules trace hook device devices table chain rule set element map flowtable
  handle ruleset socket transparent wildcard cgroupv2 level tproxy accept drop continue jump goto
  return to inet netdev add replace update create insert delete get list reset flush rename import
  export monitor destroy position index comment constant interval dynamic auto-merge timeout
  gc-interval elements expires policy size performance memory flow offload meter meters flowtables
  limits maps secmarks synproxys tunnel tunnels hooks counter name packets bytes last never counters
  quotas log prefix snaplen queue-threshold group queue num bypass fanout limit rate burst second
  minute week over quota until used hour day reject with icmpx snat dnat masquerade redirect random
  fully-random persistent port ll nh th bridge ether saddr daddr type typeof vlan id cfi dei pcp arp
  htype ptype hlen plen operation ip version hdrlength dscp ecn length frag-off ttl protocol checksum
  lsrr rr ssrr ra ptr value option options ackseq doff window urgptr echo eol maxseg mss nop noop
  sack sack0 sack1 sack2 sack3 sack-permitted sack-perm timestamp fastopen mptcp md5sig left right
  count tsval tsecr subtype time icmp icmpv6 gateway code param-problem max-delay mtu taddr sequence
  igmp mrt ip6 priority flowlabel hoplimit nexthdr ah reserved spi esp comp cpi flags udp udplite
  csumcov sport dport vxlan vni geneve gre gretap tcp dccp sctp chunk vtag data init init-ack
  heartbeat heartbeat-ack abort shutdown shutdown-ack error cookie-echo cookie-ack ecne cwr
  shutdown-complete asconf-ack forward-tsn asconf tsn stream ssn ppid init-tag a-rwnd
  num-outbound-streams num-inbound-streams initial-tsn cum-tsn-ack num-gap-ack-blocks num-dup-tsns
  lowest-tsn seqno new-cum-tsn rt rt0 rt2 srh addr hbh frag reserved2 more-fragments dst mh meta
  mark iif iifname iiftype oif oifname oiftype skuid skgid nftrace rtclassid ibriport ibrname
  obriport obrname pkttype cpu iifgroup oifgroup cgroup nexthop seg-left last-entry tag sid classid
  ct avgpkt l3proto proto-src proto-dst zone original reply direction event expectation expiration
  helper helpers label state status numgen inc jhash symhash seed mod offset dup fwd fib check osf
  synproxy wscale tos notrack all xml json vm exists missing exthdr ipsec reqid spnum in out secmark
  xt 8021ad 8021q`.split(/\s+/),
);

/** Unquoted nft identifier: a letter, then letters, digits, `_` or `-`. */
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Throws a dockfence bug when `name` cannot be written as an nft chain or set name (not an
 * identifier, or an nft keyword). The compiler must give names nft can parse, e.g. `net-web`.
 */
export function assertNftName(kind: 'chain' | 'set', name: string): void {
  if (!IDENTIFIER.test(name) || NFT_KEYWORDS.has(name.toLowerCase())) {
    throw bug(`${kind} name ${JSON.stringify(name)} cannot be written in nft syntax (needs [A-Za-z][A-Za-z0-9_-]* and must not be an nft keyword)`);
  }
}
