#!/usr/bin/env bash
# Backend-level programming: ReconcilingNetwork (vxlan) reconciling N peers from empty, and a
# warm restart over N programmed peers (dump + diff, zero writes), against ip/bridge -batch
# and against rewriting all 3N objects (upstream's restart). Namespaces: jfl-prf-be-*, jfl-prf-ip-*.
# Usage: bench/reconcile.sh [N=5000] [RUNS=3]
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath backend-vxlan)"
exec java -XX:+UseSerialGC -cp "$CP" io.jflannel.backend.vxlan.bench.ReconcileBench "${1:-5000}" "${2:-3}"
