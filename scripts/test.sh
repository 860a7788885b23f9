#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need on a fresh Debian machine
# (Docker engine, nftables, iptables, busybox, Prometheus, ...), builds, and runs every tier.
# Tests start their own dockerd inside network namespaces; nothing touches this machine's own.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in dockerd:docker.io nft:nftables iptables:iptables busybox:busybox-static ip:iproute2 \
  ping:iputils-ping prometheus:prometheus promtool:prometheus conntrack:conntrack git:git gcc:gcc openssl:openssl nsenter:util-linux; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
[ -e /bin/busybox ] || need+=(busybox-static)
# The e2e harness compiles its static probe (test/harness/dfprobe.c): needs libc.a.
[ -e "$(gcc -print-file-name=libc.a 2>/dev/null)" ] || need+=(libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "test.sh: needs root to install: ${need[*]}" >&2; exit 1; fi
  echo "test.sh: installing ${need[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
npx tsc -p tsconfig.json --noEmit
report="$(mktemp -t dockfence-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line that any CI log reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
