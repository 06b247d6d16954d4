#!/bin/sh
# make-base.sh PACKAGES_FILE OUTPUT.tar: the root file system of the jflannel image, as a tar,
# from Debian packages only (decision 0920). mmdebstrap extracts the listed packages and their
# dependencies (variant "extract": no maintainer scripts, no dpkg database, no apt), then this
# script, called again as its own extract hook, does what the image needs of the skipped
# scripts and drops what nothing in the image reads.
#
# The packages come from the Debian archive this machine's apt uses: its sources files are
# handed to mmdebstrap as they are, with the apt options that decide whether that archive is
# accepted (proxies, Valid-Until checks of a snapshot). JFLANNEL_DEBIAN_SOURCES (a sources
# file) and JFLANNEL_DEBIAN_SUITE (default bookworm) override.
set -eu
if [ "${1:-}" = "--finish" ] && [ $# -eq 2 ]; then
  root=$2
  # Documentation, manuals, translations and charset converters: nothing in the image reads
  # them. The packages' copyright files stay.
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" \
    "$root/usr/share/lintian" "$root/usr/share/bash-completion"
  rm -rf "$root"/usr/lib/*-linux-gnu/gconv
  # base-passwd's maintainer script installs its master files as /etc/passwd and /etc/group.
  cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
  cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
  # iptables' maintainer script points the plain names at one flavour through
  # update-alternatives; Debian's default is nft. Both flavours stay callable by their own
  # names (iptables-nft*, iptables-legacy*).
  for t in iptables iptables-restore iptables-save ip6tables ip6tables-restore ip6tables-save; do
    ln -sf "$(echo "$t" | sed 's/tables/tables-nft/')" "$root/usr/sbin/$t"
  done
  exit 0
fi
if [ $# -ne 2 ]; then
  echo "usage: make-base.sh PACKAGES_FILE OUTPUT.tar" >&2
  exit 2
fi
packages_file=$1
out=$2
packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$packages_file" | paste -sd, -)
if [ -z "$packages" ]; then
  echo "make-base.sh: no packages listed in $packages_file" >&2
  exit 1
fi
self=$(readlink -f -- "$0")
suite=${JFLANNEL_DEBIAN_SUITE:-bookworm}
set --
if [ -n "${JFLANNEL_DEBIAN_SOURCES:-}" ]; then
  set -- "$JFLANNEL_DEBIAN_SOURCES"
else
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ] && grep -q '^[^#]' "$f"; then
      set -- "$@" "$f"
    fi
  done
fi
if [ $# -eq 0 ]; then
  echo "make-base.sh: this machine's apt has no sources; set JFLANNEL_DEBIAN_SOURCES to a sources file" >&2
  exit 1
fi
for opt in Acquire::Check-Valid-Until Acquire::Check-Date Acquire::http::Proxy Acquire::https::Proxy; do
  value=$(apt-config dump "$opt" | sed -n "s/^$opt \"\\(.*\\)\";\$/\\1/p" | head -n 1)
  if [ -n "$value" ]; then
    set -- "--aptopt=$opt \"$value\"" "$@"
  fi
done
mmdebstrap --variant=extract --include="$packages" \
  --setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh \
  --extract-hook="'$self' --finish \"\$1\"" \
  "$suite" "$out" "$@"
