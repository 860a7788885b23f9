#!/usr/bin/env bash
# Records live-source-drops*.json (per-source drop sets with counters) for source-drops.test.ts
# from real nft inside a throwaway network namespace (never this machine's own). Run as root
# from this directory after source-drops.nft changed: bash capture-source-drops.sh
set -euo pipefail
cd "$(dirname "$0")"
exec unshare -n bash -euo pipefail -c '
ip link set lo up
ip addr add 127.0.0.9/8 dev lo
nft -f source-drops.nft
ping -c 2 -i 0.2 -W 1 127.0.0.1 >/dev/null || true
ping -c 3 -i 0.2 -W 1 -I 127.0.0.9 127.0.0.9 >/dev/null || true
ping -6 -c 1 -W 1 ::1 >/dev/null || true
nft -j list set inet dockfence drops_by_source4 > live-source-drops4.json
nft -j list set inet dockfence drops_by_source6 > live-source-drops6.json
nft -j list table inet dockfence > live-source-drops-table.json
'
