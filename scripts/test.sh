#!/usr/bin/env bash
# Runs every test: installs prerequisites, then the whole Maven build with unit, kernel,
# store and end-to-end tests. Needs root (kernel tests create network namespaces jfl-*).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec mvn -B verify "$@"
