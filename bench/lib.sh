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

# in_node_netns CLASSPATH MAINCLASS ARGS...: creates a node namespace jfl-prf-<hex> (lo, and
# eth0 192.0.2.1/24 as one end of a veth pair), runs java MAINCLASS in it, and on exit stops
# whatever is still running in the namespace (by PID) and deletes it.
in_node_netns() {
  local cp=$1 main=$2
  shift 2
  BENCH_NS="jfl-prf-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  trap 'for p in $(ip netns pids "$BENCH_NS" 2>/dev/null); do kill "$p" 2>/dev/null || true; done; sleep 1;
        for p in $(ip netns pids "$BENCH_NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done;
        ip netns del "$BENCH_NS" 2>/dev/null || true' EXIT
  ip netns add "$BENCH_NS"
  ip -n "$BENCH_NS" link set lo up
  ip -n "$BENCH_NS" link add eth0 type veth peer name eth0p
  ip -n "$BENCH_NS" addr add 192.0.2.1/24 dev eth0
  ip -n "$BENCH_NS" link set eth0 up
  ip -n "$BENCH_NS" link set eth0p up
  ip netns exec "$BENCH_NS" java -XX:+UseSerialGC -cp "$cp" "$main" "$@"
}

# flanneld_launcher: the packaged launcher (build it with mvn -B -q -o install -DskipTests).
flanneld_launcher() {
  local f="$BENCH_ROOT/daemon/target/flanneld"
  if [ ! -x "$f" ]; then
    echo "missing $f; build first: mvn -B -q -o install -DskipTests" >&2
    exit 1
  fi
  printf '%s' "$f"
}
