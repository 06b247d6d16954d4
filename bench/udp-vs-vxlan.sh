#!/usr/bin/env bash
# udp backend against vxlan: iperf3 TCP throughput pod -> pod across two nodes, two labs with
# real daemons (etcd store) up at once, RUNS alternating runs of SECONDS s per backend;
# prints each run, the medians and the ratio udp / vxlan (docs/benchmarks.md).
# Every namespace is jfl-ip-<random>-*; the Java main deletes them, and this script deletes
# whatever a crashed run left (stopping the processes inside by PID).
# Usage: bench/udp-vs-vxlan.sh [RUNS=5] [SECONDS=5]
source "$(dirname "$0")/lib.sh"
require_root
for c in iperf3 etcd ip bridge iptables-save iptables-restore; do
  command -v "$c" >/dev/null || { echo "udp-vs-vxlan.sh needs $c" >&2; exit 1; }
done
machine_line
# The lab's test class path from this tree's reactor (sibling modules as their target/classes),
# so the bench needs no installed snapshot; the launcher is this tree's daemon/target/flanneld.
cp_file="$(mktemp)"
mvn -B -q -o -pl lab -am test-compile dependency:build-classpath -Dmdep.outputFile="$cp_file" \
  -Dmdep.includeScope=test >/dev/null
CP="lab/target/classes:lab/target/test-classes:$(cat "$cp_file")"
rm -f "$cp_file"
NAME="jfl-ip-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() {
  local ns p
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NAME-" | awk '{print length, $0}' | sort -rn | cut -d' ' -f2); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f /run/jflannel-lab/"$NAME"-*.json
}
trap cleanup EXIT
java -XX:+UseSerialGC -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener -cp "$CP" io.jflannel.lab.bench.UdpVsVxlanBench "$(flanneld_launcher)" \
  "${1:-5}" "${2:-5}" "$NAME"
machine_line
