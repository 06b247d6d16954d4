#!/usr/bin/env bash
# Installs the system packages the build, the tests and the lab need (Debian 12, as root).
# Idempotent: packages already present are left alone.
set -euo pipefail
# podman, runc and mmdebstrap build and run the container image (scripts/image.sh, docs/image.md).
pkgs=(iproute2 iptables nftables etcd-server etcd-client containernetworking-plugins
      iputils-ping iperf3 tcpdump strace maven openjdk-17-jdk-headless
      podman runc mmdebstrap)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
