package io.jflannel.lab;

/** Where the lab's daemons keep their leases. */
public enum LabStoreKind {
  /** A real etcd in the switch namespace; daemons use --etcd-endpoints. */
  ETCD,
  /** A Kubernetes API (fabric8 mock) in the switch namespace; daemons use --kube-subnet-mgr. */
  KUBE;

  /** Parses {@code etcd} or {@code kube}. */
  public static LabStoreKind parse(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT)) {
      case "etcd" -> ETCD;
      case "kube", "kubernetes" -> KUBE;
      default -> throw new IllegalArgumentException(
          "unknown store '" + text + "', expected etcd or kube");
    };
  }

  @Override
  public String toString() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
