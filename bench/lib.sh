# Shared helpers for the bench/*.sh scripts (sourced, not run).
# Benchmarks are plain Java mains in test source sets; they compile in `mvn verify` but never
# run there. These helpers compile a module's test classes and print its test class path.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$BENCH_ROOT"

require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "$(basename "$0") needs root (it creates network namespaces)" >&2
    exit 1
  fi
}

# test_classpath MODULE: compiles MODULE's tests (offline) and prints its full test class path.
test_classpath() {
  local module=$1 cp_file
  cp_file="$(mktemp)"
  mvn -B -q -o -pl "$module" test-compile >&2
  mvn -B -q -o -pl "$module" dependency:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=test >/dev/null
  printf '%s' "$module/target/classes:$module/target/test-classes:$(cat "$cp_file")"
  rm -f "$cp_file"
}

machine_line() {
  echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
    "kernel $(uname -r), $(java -version 2>&1 | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "date $(date -u +%Y-%m-%dT%H:%MZ)"
}
