#!/usr/bin/env bash
# Runs every test: installs prerequisites, then the whole Maven build with unit, kernel,
# store, image and end-to-end tests. Run as root (kernel tests create network namespaces
# jfl-*, the image is built and run with podman). -Pimage builds the container image once,
# right after the daemon is packaged; the image tests of deploy/ and of the end-to-end suite
# run that image (docs/image.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec mvn -B verify -Pimage "$@"
