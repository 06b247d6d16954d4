#!/usr/bin/env bash
# Builds the jflannel container image with podman, without a Docker engine, from Debian
# packages and the Maven build only (docs/image.md):
#
#   scripts/image.sh                      package the daemon when needed, then build the image
#   scripts/image.sh --build              package the daemon again first
#   scripts/image.sh --no-build           use daemon/target as it is (the Maven build's own call)
#   scripts/image.sh --tag localhost/x:y  the image's name (default localhost/jflannel:dev)
#
# Output: the image in podman's local storage, its ID in target/image/image-id, and the OCI
# archive target/image/jflannel.oci.tar (`podman load -i` or `skopeo copy oci-archive:...`).
# The image this checkout built before is removed once the new one is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
  echo "image.sh: run as root (mmdebstrap and podman build the image as root)" >&2
  exit 2
fi
build=auto
tag=localhost/jflannel:dev
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=always ;;
    --no-build) build=never ;;
    --tag) tag=${2:?--tag needs a value}; shift ;;
    --tag=*) tag=${1#--tag=} ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

start=$(date +%s)
phase_start=$start
# Prints how long the phase that just ended took (docs/benchmarks.md keeps these figures).
phase() {
  local now
  now=$(date +%s)
  printf 'image.sh: %s (%d s)\n' "$1" "$((now - phase_start))"
  phase_start=$now
}
if [ "$build" != never ]; then
  scripts/install-deps.sh
fi
for c in podman mmdebstrap runc; do
  command -v "$c" >/dev/null || { echo "image.sh: $c is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/deploy/image/containers.conf}

daemon=daemon/target
if [ "$build" = always ] || { [ "$build" = auto ] && [ ! -f "$daemon/jflannel-daemon.jar" ]; }; then
  echo "image.sh: packaging the daemon (mvn -B -q -pl daemon -am package -DskipTests) ..."
  mvn -B -q -pl daemon -am package -DskipTests
fi
for f in "$daemon/flanneld" "$daemon/jflannel-daemon.jar" "$daemon/lib"; do
  [ -e "$f" ] || { echo "image.sh: $f is missing; package the daemon first (mvn -pl daemon -am package)" >&2; exit 1; }
done

# The Java runtime is linked from the JDK 17 the build uses, which is Debian's (the base is too).
jdk=${JFLANNEL_IMAGE_JDK:-}
if [ -z "$jdk" ]; then
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-*; do
    if [ -n "$candidate" ] && [ -d "$candidate/jmods" ] && grep -q '^JAVA_VERSION="17' "$candidate/release" 2>/dev/null; then
      jdk=$candidate
      break
    fi
  done
fi
[ -n "$jdk" ] || { echo "image.sh: no JDK 17 with jmods/ found (package openjdk-17-jdk-headless); set JFLANNEL_IMAGE_JDK" >&2; exit 1; }

out=target/image
ctx=$out/context
mkdir -p "$out"
rm -rf "$ctx" "$out/base.tar" "$out/image-id.new"
base_id=""
cleanup() {
  rm -rf "$ctx" "$out/base.tar" "$out/image-id.new"
  if [ -n "$base_id" ]; then podman rmi --force "$base_id" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

log=$out/build.log
: >"$log"
# Runs a step with its output in target/image/build.log, shown only when the step fails.
quietly() {
  if ! "$@" >>"$log" 2>&1; then
    echo "image.sh: failed: $*" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}
deploy/image/make-base.sh deploy/image/base-packages "$out/base.tar" >>"$log" 2>&1 \
  || { echo "image.sh: the base root file system failed:" >&2; tail -n 40 "$log" >&2; exit 1; }
base_id=$(podman import --quiet "$out/base.tar" | sed "s/^sha256://")
rm -f "$out/base.tar"
phase "base root file system from deploy/image/base-packages, imported as ${base_id:0:12}"

mkdir -p "$ctx/opt/bin" "$ctx/opt/jflannel"
JAVA_HOME=$jdk quietly deploy/image/make-jre.sh deploy/image/jre-modules "$ctx/opt/jre"
phase "Java runtime from deploy/image/jre-modules, linked with $jdk"

install -m 755 "$daemon/flanneld" "$ctx/opt/jflannel/flanneld"
install -m 644 "$daemon/jflannel-daemon.jar" "$ctx/opt/jflannel/jflannel-daemon.jar"
cp -R "$daemon/lib" "$ctx/opt/jflannel/lib"
install -m 755 deploy/image/flanneld "$ctx/opt/bin/flanneld"
install -m 755 deploy/image/install-conf "$ctx/opt/bin/install-conf"
install -m 755 deploy/image/make-cds-archive.sh "$ctx/make-cds-archive.sh"

digest=$(deploy/image/inputs-digest.sh "$root")
# --squash-all: one layer, so the imported base is not a parent the new image keeps alive;
# --layers=false: no cached intermediate images left in the storage; --network=none: the
# build only runs the AppCDS training, which needs no network.
quietly podman build --pull=never --network=none --layers=false --squash-all \
  --build-arg "BASE=$base_id" --label "io.jflannel.inputs=$digest" \
  --iidfile "$out/image-id.new" -f Dockerfile -t "$tag" "$ctx"
new_id=$(sed 's/^sha256://' "$out/image-id.new")
old_id=$(sed 's/^sha256://' "$out/image-id" 2>/dev/null || true)
printf '%s\n' "$new_id" >"$out/image-id"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ] && podman image exists "$old_id"; then
  podman rmi "$old_id" >/dev/null 2>&1 \
    || echo "image.sh: the previous image $old_id is still in use; left in place" >&2
fi

phase "podman build of the Dockerfile (with the AppCDS training runs)"

rm -f "$out/jflannel.oci.tar"
podman save --quiet --format oci-archive -o "$out/jflannel.oci.tar" "$tag"
phase "OCI archive"
size=$(podman image inspect --format '{{.Size}}' "$new_id")
end=$(date +%s)
printf 'image.sh: %s (%s), %s MB uncompressed, OCI archive %s (%s MB), built in %d s\n' \
  "$tag" "${new_id:0:12}" "$((size / 1000000))" "$out/jflannel.oci.tar" \
  "$(( $(stat -c %s "$out/jflannel.oci.tar") / 1000000 ))" "$((end - start))"
