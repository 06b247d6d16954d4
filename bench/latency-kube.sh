#!/usr/bin/env bash
# Convergence latency (Kubernetes store, fabric8 API mock): Node create -> the peer's route on
# the node, against a bare fabric8 watch in the same run.
# Usage: bench/latency-kube.sh [BACKGROUND=0] [EVENTS=200]   (BENCH_JAVA_OPTS: extra daemon JVM options)
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath lab)"
in_node_netns "$CP" io.jflannel.lab.bench.KubeLatencyBench "$(flanneld_launcher)" "${1:-0}" "${2:-200}"
