// A one-rule Ruleset whose counter sees loopback pings: rendered to counter-ruleset.nft (golden)
// and applied by capture.sh to record live-counters.json with non-zero counters.

import { ACCEPT_MARK, type Ruleset } from '../../../ruleset/model.js';

export const counterRuleset: Ruleset = {
  acceptMark: ACCEPT_MARK,
  dockerIptables: false,
  sets: [],
  chains: [
    {
      name: 'input',
      hook: 'input',
      rules: [
        { match: { iif: { names: ['lo'] }, protocol: 'icmp' }, verdict: { kind: 'accept' }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'loopback' } },
        { match: { iif: { names: ['lo'] }, protocol: 'tcp' }, verdict: { kind: 'accept' }, counter: { metric: 'exception', kind: 'ExposeRule', name: 'idle' } },
      ],
    },
  ],
};
