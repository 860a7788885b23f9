#!/usr/bin/env bash
# Records the live `nft -j` outputs parse.test.ts reads, from real nft inside a throwaway network
# namespace (never this machine's own). Run as root from this directory after the golden .nft
# files changed: bash capture.sh
set -euo pipefail
cd "$(dirname "$0")"
exec unshare -n bash -euo pipefail -c '
list() { nft -j list table inet dockfence; }
ip link set lo up

nft -f full-ruleset.nft
list > live-full.json

# Drift by hand: a foreign rule in our chain, one inserted ahead in a base chain, an extra set
# element, the forward policy turned to drop, an extra chain.
nft add rule inet dockfence from-int-app1 ip saddr 192.0.2.1 accept
nft insert rule inet dockfence forward meta l4proto tcp accept comment "\"by hand\""
nft add element inet dockfence protected4 "{ 10.99.0.0/16 }"
nft add chain inet dockfence forward "{ policy drop; }"
nft add chain inet dockfence extra
list > live-drift.json

nft add table inet dockfence "{ flags dormant; }"
list > live-dormant.json

nft -f empty-ruleset.nft
{ list 2>&1 && echo "exit 0" || echo "exit $?"; } > live-missing.txt

nft -f counter-ruleset.nft
ping -c 2 -i 0.2 -W 1 127.0.0.1 >/dev/null
list > live-counters.json
nft -f empty-ruleset.nft
'
