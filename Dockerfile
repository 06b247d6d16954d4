# The jflannel image: flanneld and install-conf for the kube-flannel DaemonSet
# (deploy/kube-flannel.yml). scripts/image.sh builds it with podman, without a Docker engine
# and from Debian packages and Maven Central only: it makes the root file system from Debian
# packages (deploy/image/make-base.sh), imports it as the image BASE, links the Java runtime
# (deploy/image/make-jre.sh) and assembles the build context this file copies from:
#   opt/jre/        the linked runtime
#   opt/jflannel/   the daemon module's package output: launcher flanneld, jar, lib/
#   opt/bin/        flanneld (the entrypoint) and install-conf (the install-cni step)
#   make-cds-archive.sh
# Layout and choices: docs/image.md, docs/decisions/0650 and 0920.
ARG BASE
FROM ${BASE}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY opt/ /opt/
COPY make-cds-archive.sh /tmp/make-cds-archive.sh
# The AppCDS archives record the class path, so they are dumped against the final layout.
RUN /tmp/make-cds-archive.sh /opt && rm /tmp/make-cds-archive.sh
ENTRYPOINT ["/opt/bin/flanneld"]
