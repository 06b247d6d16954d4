#!/usr/bin/env bash
# Convergence latency (etcd): lease put -> the peer's route on the node (netlink notification
# timestamped in the node's namespace), EVENTS times with BACKGROUND peers already programmed;
# reference: put -> the same event seen by a bare etcd watch in the same JVM.
# Usage: bench/latency.sh [BACKGROUND=0] [EVENTS=200]
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath lab)"
in_node_netns "$CP" io.jflannel.lab.bench.DaemonBench latency "$(flanneld_launcher)" "${1:-0}" "${2:-200}"
