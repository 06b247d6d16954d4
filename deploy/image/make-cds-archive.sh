#!/bin/sh
# make-cds-archive.sh ROOT: writes ROOT/jflannel/flanneld-etcd.jsa and flanneld-kube.jsa, the
# AppCDS archives of the classes flanneld loads while starting with either subnet store, by
# running ROOT/bin/flanneld once per store with the build-only entry point CdsTraining instead
# of the daemon (the start-up path without host changes; decisions 0800, 0831, 0910). The
# store is selected by --kube-subnet-mgr, as for the daemon.
# Runs in the Dockerfile's runtime stage and, unchanged, in the deploy module's tests.
# An archive records the class path, so this must run against the final layout.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: make-cds-archive.sh ROOT" >&2
  exit 2
fi
root=$1
rm -f "$root"/jflannel/flanneld*.jsa
for store in etcd kube; do
  jsa="$root/jflannel/flanneld-$store.jsa"
  case "$store" in kube) kube=true ;; *) kube=false ;; esac
  JFLANNEL_MAIN=io.jflannel.daemon.runtime.CdsTraining JFLANNEL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$jsa" \
    "$root/bin/flanneld" --kube-subnet-mgr=$kube
  if [ ! -s "$jsa" ]; then
    echo "make-cds-archive.sh: $jsa was not written" >&2
    exit 1
  fi
done
