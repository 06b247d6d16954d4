#!/bin/sh
# make-jre.sh MODULES_FILE OUTPUT_DIR: links the minimal Java runtime of the jflannel image.
# Runs in the Dockerfile's jlink stage and, unchanged, in the deploy module's tests.
# Uses $JAVA_HOME/bin/jlink when JAVA_HOME is set, else jlink from PATH.
set -eu
if [ $# -ne 2 ]; then
  echo "usage: make-jre.sh MODULES_FILE OUTPUT_DIR" >&2
  exit 2
fi
modules_file=$1
out=$2
jlink=${JAVA_HOME:+$JAVA_HOME/bin/}jlink
modules=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$modules_file" | paste -sd, -)
if [ -z "$modules" ]; then
  echo "make-jre.sh: no modules listed in $modules_file" >&2
  exit 1
fi
"$jlink" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress=2 \
  --generate-cds-archive --output "$out"
# The heap is far below 32 GB, so the JVM always uses compressed oops: the base CDS
# archive for uncompressed oops would never be mapped.
rm -f "$out/lib/server/classes_nocoops.jsa"
"$out/bin/java" -Xshare:on -version
