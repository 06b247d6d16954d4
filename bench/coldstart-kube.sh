#!/usr/bin/env bash
# Cold start at scale (Kubernetes store): the lab's fabric8 API mock holding 0, 1,000 and 5,000
# peer Nodes; time from flanneld's process start (--kube-subnet-mgr) to subnet.env and to every
# peer's route; references: java -version, 0 peers, a plain list of all Nodes. The last run of each
# size also prints the daemon's RSS and heap 5 s after it programmed every peer.
# Usage: bench/coldstart-kube.sh [RUNS=3] [SIZES="0 1000 5000"]   (BENCH_JAVA_OPTS: extra daemon JVM options;
# BENCH_CHURN=N: then N peer updates (annotation patches) and the footprint again; BENCH_IDLE=SECONDS:
# then idle CPU over that time and the footprint again)
source "$(dirname "$0")/lib.sh"
require_root
machine_line
CP="$(test_classpath lab)"
in_node_netns "$CP" io.jflannel.lab.bench.KubeColdStartBench "$(flanneld_launcher)" "${1:-3}" ${2:-0 1000 5000}
