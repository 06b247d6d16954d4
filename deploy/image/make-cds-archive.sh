#!/bin/sh
# make-cds-archive.sh ROOT: writes ROOT/jflannel/flanneld.jsa, the AppCDS archive of the
# classes flanneld loads while starting, by running ROOT/bin/flanneld once in its training
# mode (-Djflannel.cds.training=true: the start-up path without host changes, decision 0800).
# Runs in the Dockerfile's runtime stage and, unchanged, in the deploy module's tests.
# The archive records the class path, so it must run against the final layout.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: make-cds-archive.sh ROOT" >&2
  exit 2
fi
root=$1
jsa="$root/jflannel/flanneld.jsa"
rm -f "$jsa"
JFLANNEL_JAVA_OPTS="-XX:ArchiveClassesAtExit=$jsa -Djflannel.cds.training=true" "$root/bin/flanneld" --version
if [ ! -s "$jsa" ]; then
  echo "make-cds-archive.sh: $jsa was not written" >&2
  exit 1
fi
