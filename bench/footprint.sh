#!/usr/bin/env bash
# Footprint (etcd): RSS and heap after start with N peers and after UPDATES peer updates, then
# idle CPU over IDLE seconds (from /proc/PID/stat).
# Usage: bench/footprint.sh [N=5000] [UPDATES=50000] [IDLE=60]   (BENCH_JAVA_OPTS: extra daemon JVM options)
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath lab)"
in_node_netns "$CP" io.jflannel.lab.bench.DaemonBench footprint "$(flanneld_launcher)" "${1:-5000}" "${2:-50000}" "${3:-60}"
