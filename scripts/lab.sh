#!/usr/bin/env bash
# The lab: several flannel nodes as network namespaces on a shared underlay, a real store
# (etcd, or the Kubernetes API with --store kube), one real flanneld per node, two pods per
# node attached with the real CNI plugins, and a pod-to-pod reachability matrix.
#
#   sudo scripts/lab.sh                      # 3 nodes, vxlan, etcd; tears down at the end
#   sudo scripts/lab.sh --nodes 4 --backend host-gw --store kube --keep
#   sudo scripts/lab.sh down                 # remove a lab left by --keep (or a crash)
#   scripts/lab.sh --build ...               # rebuild the jars first
#
# Exit status 0 only when every pod reached every other pod.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "lab.sh: run as root (the lab creates network namespaces): sudo $0 $*" >&2
  exit 2
fi

build=0
args=()
for a in "$@"; do
  if [ "$a" = "--build" ]; then build=1; else args+=("$a"); fi
done

scripts/install-deps.sh

need_daemon=1
[ "${args[0]:-}" = "down" ] && need_daemon=0   # removing a lab needs only the lab launcher
if [ "$build" = 1 ] || [ ! -x lab/target/lab ] || { [ "$need_daemon" = 1 ] && [ ! -x daemon/target/flanneld ]; }; then
  echo "building (mvn -B -q install -DskipTests) ..."
  mvn -B -q install -DskipTests
fi

exec lab/target/lab --flanneld daemon/target/flanneld ${args[@]+"${args[@]}"}
