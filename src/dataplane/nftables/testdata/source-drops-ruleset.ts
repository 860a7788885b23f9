// Rulesets with counted drop rules for the per-source breakdown: rendered with and without
// dropsBySource (source-drops.nft golden) and applied by capture-source-drops.sh in a netns.

import { ACCEPT_MARK, type CounterLabels, type Ruleset } from '../../../ruleset/model.js';

const dropped: CounterLabels = { metric: 'dropped', srcNetwork: 'lo', dstNetwork: 'host', reason: 'host', policy: 'p' };

export const sourceDropsRuleset: Ruleset = {
  acceptMark: ACCEPT_MARK,
  dockerIptables: false,
  sets: [],
  chains: [
    {
      name: 'input',
      hook: 'input',
      rules: [
        // Family-less: one update rule per family ahead of it.
        { match: { iif: { names: ['lo'] }, protocol: 'icmp' }, verdict: { kind: 'drop' }, counter: dropped, origin: 'IsolationPolicy/p' },
        // IPv6 only: one update rule.
        { match: { iif: { names: ['lo'] }, protocol: 'icmpv6', saddr: { family: 'ipv6', cidrs: ['::1'] } }, verdict: { kind: 'drop' }, counter: dropped },
        // Not a counted drop: untouched.
        { match: { iif: { names: ['lo'] }, protocol: 'tcp' }, verdict: { kind: 'drop' } },
      ],
    },
  ],
  dropsBySource: true,
};
