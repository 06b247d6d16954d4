#!/usr/bin/env bash
# The lab: several flannel nodes as network namespaces on a shared underlay, a real store
# (etcd, or the Kubernetes API with --store kube), one real flanneld per node, two pods per
# node attached with the real CNI plugins, and a pod-to-pod reachability matrix.
# Run as root (no sudo needed in a root shell):
#
#   scripts/lab.sh                           # 3 nodes, vxlan, etcd; tears down at the end
#   scripts/lab.sh --nodes 4 --backend host-gw --store kube --keep
#   scripts/lab.sh --backend extension       # upstream's host-gw-like example commands
#   scripts/lab.sh --backend alloc           # leases and subnet.env only (no pod traffic between nodes)
#   scripts/lab.sh --backend udp             # flannel0 (TUN) and UDP port 8285
#   scripts/lab.sh --image                   # every flanneld from the container image, as the
#                                            # DaemonSet runs it (built by scripts/image.sh when
#                                            # missing or built from other code)
#   scripts/lab.sh down                      # remove a lab left by --keep (or a crash)
#   scripts/lab.sh --build ...               # rebuild the jars (and with --image the image) first
#
# Exit status 0 only when every pod reached every other pod (alloc: when every node has its own
# subnet in subnet.env).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "lab.sh: run as root (the lab creates network namespaces)" >&2
  exit 2
fi

build=0
image=0
args=()
for a in "$@"; do
  case "$a" in
    --build) build=1 ;;
    --image) image=1 ;;
    *) args+=("$a") ;;
  esac
done

scripts/install-deps.sh

need_daemon=1
[ "${args[0]:-}" = "down" ] && need_daemon=0   # removing a lab needs only the lab launcher
if [ "$build" = 1 ] || [ ! -x lab/target/lab ] || { [ "$need_daemon" = 1 ] && [ ! -x daemon/target/flanneld ]; }; then
  echo "building (mvn -B -q install -DskipTests) ..."
  mvn -B -q install -DskipTests
fi

export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/deploy/image/containers.conf}
if [ "$image" = 1 ] && [ "$need_daemon" = 1 ]; then
  # This checkout's image, rebuilt when it is missing or was built from other inputs.
  id=$(cat target/image/image-id 2>/dev/null || true)
  label=""
  if [ -n "$id" ]; then
    label=$(podman image inspect --format '{{index .Labels "io.jflannel.inputs"}}' "$id" 2>/dev/null || true)
  fi
  if [ "$build" = 1 ] || [ -z "$label" ] || [ "$label" != "$(deploy/image/inputs-digest.sh .)" ]; then
    scripts/image.sh --no-build
    id=$(cat target/image/image-id)
  fi
  args=(--image "$id" ${args[@]+"${args[@]}"})
fi

exec lab/target/lab --flanneld daemon/target/flanneld ${args[@]+"${args[@]}"}
