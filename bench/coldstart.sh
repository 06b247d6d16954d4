#!/usr/bin/env bash
# Cold start at scale (etcd): time from flanneld's process start to subnet.env and to every
# peer's route, with 0, 1,000 and 5,000 peer leases in a real etcd; reference: java -version.
# Usage: bench/coldstart.sh [RUNS=3] [SIZES="0 1000 5000"]   (BENCH_JAVA_OPTS: extra daemon JVM options)
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath lab)"
in_node_netns "$CP" io.jflannel.lab.bench.DaemonBench coldstart "$(flanneld_launcher)" "${1:-3}" ${2:-0 1000 5000}
