#!/usr/bin/env bash
# Runs every benchmark in sequence and prints their figures (see docs/benchmarks.md).
# Needs root, etcd, iproute2 and a built tree (mvn -B -q -o install -DskipTests).
# Usage: bench/run-all.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
run() {
  echo "=== $*"
  "$@"
  echo
}
run "$root/netlink/bench/run.sh" 5000 3
run "$here/reconcile.sh" 5000 3
run "$here/coldstart.sh" 3 "0 1000 5000"
run "$here/coldstart-kube.sh" 3 "0 1000 5000"
run "$here/latency.sh" 0 200
run "$here/latency.sh" 5000 200
run "$here/latency-kube.sh" 5000 200
run "$here/footprint.sh" 5000 50000 60
run "$here/dataplane.sh" 5 5
