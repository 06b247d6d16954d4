#!/usr/bin/env bash
# The lab: several nodes as network namespaces, a real store, one flanneld per node,
# pods pinging across nodes.
set -euo pipefail
echo "lab not yet available: it lands with the lab issue (see docs/status.md)" >&2
exit 1
