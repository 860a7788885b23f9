#!/usr/bin/env bash
# Records the live `iptables-save -c` / `ip6tables-save -c` outputs parse.test.ts and plan.test.ts
# read, from real iptables-nft inside a throwaway network namespace (never this machine's own).
# Run as root from anywhere, before and after the golden .restore files change: bash capture.sh
#   live-docker.*.save  Docker 20.10's own chains only (v6: Docker leaves ip6tables alone)
#   live-full.*.save    + full-ruleset.*.restore applied, after real packets hit our rules
#   live-drift.*.save   + drift by hand: a foreign ACCEPT ahead of our hook, a foreign rule in
#                       our chain, one of our rules deleted, a stray DF- chain
set -euo pipefail
cd "$(dirname "$0")"
peer="dfcapture-$$"
trap 'ip netns delete "$peer" 2>/dev/null || true' EXIT
ip netns add "$peer"
PEER="$peer" unshare -n bash -euo pipefail -c '
save() { iptables-save -c > "live-$1.v4.save"; ip6tables-save -c > "live-$1.v6.save"; }
ip link set lo up
iptables-restore --noflush < docker-like.v4.restore
ip6tables-restore --noflush < docker-like.v6.restore
save docker
[ -s full-ruleset.v4.restore ] || { echo "no golden yet: run the render tests with UPDATE_GOLDEN=1, then again"; exit 0; }

iptables-restore --noflush --counters < full-ruleset.v4.restore
ip6tables-restore --noflush --counters < full-ruleset.v6.restore
# A container on bridge br-0a1b2c3d4e5f (in the peer namespace) pings the host (DF-INPUT drop)
# and a protected LAN address (DF-FROM-INT-APP1 drop); lan0 (a veth) is the "physical" network.
sysctl -q -w net.ipv4.ip_forward=1
ip link add br-0a1b2c3d4e5f type bridge
ip addr add 172.18.0.1/16 dev br-0a1b2c3d4e5f
ip link add lan0 type veth peer name lan0peer
ip addr add 10.10.10.1/24 dev lan0
ip link add veth0 type veth peer name eth0 netns "$PEER"
ip link set veth0 master br-0a1b2c3d4e5f
for l in br-0a1b2c3d4e5f lan0 lan0peer veth0; do ip link set "$l" up; done
ip -n "$PEER" link set lo up
ip -n "$PEER" addr add 172.18.0.5/16 dev eth0
ip -n "$PEER" link set eth0 up
ip -n "$PEER" route add default via 172.18.0.1
ip netns exec "$PEER" ping -c 2 -i 0.2 -W 1 172.18.0.1 >/dev/null || true
ip netns exec "$PEER" ping -c 3 -i 0.2 -W 1 10.10.10.9 >/dev/null || true
save full

iptables -I DOCKER-USER 1 -j ACCEPT
iptables -A DF-FROM-BRIDGE -j ACCEPT
iptables -D DF-INPUT 3
iptables -N DF-STALE
save drift
'
