# syntax=docker/dockerfile:1
# The jflannel image: `flanneld` for the kube-flannel DaemonSet (deploy/kube-flannel.yml).
# Layout and choices: docs/decisions/0650-container-image.md. Build from the repository root:
#   docker build -t ghcr.io/jflannel/jflannel:v0.1.0 .

# 1. Build the daemon: its jar, its runtime dependencies (lib/, with lib/etcd/ and lib/kube/ for
#    the libraries of one subnet store only) and its launcher script.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps downloaded dependencies between image builds.
RUN --mount=type=cache,target=/var/cache/maven \
    mvn -B -DskipTests -pl daemon -am package -Dmaven.repo.local=/var/cache/maven

# 2. Link a Java runtime holding only the modules the daemon uses.
FROM maven:3.9-eclipse-temurin-17 AS jre
COPY deploy/image/jre-modules deploy/image/make-jre.sh /tmp/
RUN /tmp/make-jre.sh /tmp/jre-modules /opt/jre

# 3. The runtime: Debian with the tools the traffic rules use, the runtime, the daemon.
FROM debian:12-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iptables nftables iproute2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=jre /opt/jre /opt/jre
COPY --from=build /src/daemon/target/jflannel-daemon.jar /opt/jflannel/
COPY --from=build /src/daemon/target/lib/ /opt/jflannel/lib/
COPY --from=build --chmod=755 /src/daemon/target/flanneld /opt/jflannel/flanneld
COPY --chmod=755 deploy/image/flanneld /opt/bin/flanneld
COPY --chmod=755 deploy/image/make-cds-archive.sh /tmp/make-cds-archive.sh
# The AppCDS archive records the class path, so it is dumped against the final layout.
RUN /tmp/make-cds-archive.sh /opt && rm /tmp/make-cds-archive.sh
ENTRYPOINT ["/opt/bin/flanneld"]
