#!/usr/bin/env bash
# Dataplane sanity: iperf3 TCP throughput pod -> pod across two nodes, our daemons (vxlan,
# host-gw; etcd store) vs. the same topology programmed by hand with iproute2, and host-gw vs.
# a direct veth pair; RUNS alternating runs of SECONDS s per side, medians and ratios.
# Every namespace is jfl-ip-<random>-*; the Java main deletes them, and this script deletes
# whatever a crashed run left (stopping the processes inside by PID).
# Usage: bench/dataplane.sh [RUNS=3] [SECONDS=5] [vxlan|host-gw|all]
source "$(dirname "$0")/lib.sh"
require_root
for c in iperf3 etcd ip bridge iptables-save iptables-restore; do
  command -v "$c" >/dev/null || { echo "dataplane.sh needs $c" >&2; exit 1; }
done
machine_line
CP="$(test_classpath lab)"
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
java -XX:+UseSerialGC -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener -cp "$CP" io.jflannel.lab.bench.DataplaneBench "$(flanneld_launcher)" \
  "${1:-3}" "${2:-5}" "$NAME" "${3:-all}"
machine_line
