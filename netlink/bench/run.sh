#!/usr/bin/env bash
# Netlink batch benchmark: N peers (N neighbours + N FDB entries + N onlink routes on a
# flannel.1 VXLAN device) programmed with jflannel's Netlink.apply and with ip/bridge -batch,
# each in its own fresh network namespace (jfl-nl-*), in the same run. Needs root.
# Usage: netlink/bench/run.sh [N=5000] [RUNS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-5000}"
RUNS="${2:-3}"
if [ "$(id -u)" != 0 ]; then
  echo "run.sh needs root (it creates network namespaces)" >&2
  exit 1
fi
mvn -B -q -o -pl netlink test-compile
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -q -o -pl netlink dependency:build-classpath -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test >/dev/null
exec java -cp "netlink/target/classes:netlink/target/test-classes:$(cat "$CP_FILE")" \
  io.jflannel.netlink.bench.BatchBench "$N" "$RUNS"
