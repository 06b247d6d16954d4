#!/bin/sh
# inputs-digest.sh ROOT: one sha256 over everything of the repository at ROOT that goes into
# the image: the Dockerfile, deploy/image/ and the daemon's package output (launcher, jar,
# lib/). scripts/image.sh labels the image with it (io.jflannel.inputs); the tests that run
# the image compare it with the checkout's, so they never run an image built from other code.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: inputs-digest.sh ROOT" >&2
  exit 2
fi
cd "$1"
for f in Dockerfile deploy/image daemon/target/flanneld daemon/target/jflannel-daemon.jar daemon/target/lib; do
  if [ ! -e "$f" ]; then
    echo "inputs-digest.sh: $1/$f is missing" >&2
    exit 1
  fi
done
{
  echo Dockerfile
  find deploy/image -type f
  echo daemon/target/flanneld
  echo daemon/target/jflannel-daemon.jar
  find daemon/target/lib -type f -name '*.jar'
} | LC_ALL=C sort | xargs -d '\n' sha256sum -- | sha256sum | cut -d' ' -f1
