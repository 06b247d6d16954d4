package io.jflannel.daemon.runtime;

/**
 * The launcher's class-path choice checked against the parsed flags. The launcher puts only
 * the selected subnet store's client libraries on the class path ({@code lib/etcd/} or
 * {@code lib/kube/}, docs/decisions/0837), reading {@code --kube-subnet-mgr} and
 * {@code FLANNELD_KUBE_SUBNET_MGR} itself before the JVM starts, and passes its choice in the
 * system property {@value #PROPERTY}. Should the daemon's own parse ever disagree, it stops
 * with one line naming both instead of failing later on a missing class.
 */
public final class ClassPathStore {
  /** The system property the launcher sets to the store whose libraries it chose. */
  public static final String PROPERTY = "jflannel.classpath.store";

  private ClassPathStore() {
  }

  /**
   * @param launched the property's value: {@code etcd}, {@code kube}, or null when the JVM was
   *                 started without the launcher (all libraries on the class path)
   * @param kube     whether the flags select the Kubernetes subnet manager
   * @return null when the class path fits the flags, else the fatal line
   */
  public static String mismatch(String launched, boolean kube) {
    if (launched == null) {
      return null;
    }
    String selected = kube ? "kube" : "etcd";
    if (launched.equals(selected)) {
      return null;
    }
    return "flanneld: the launcher put the " + launched + " store's libraries on the class path (" + PROPERTY + "="
        + launched + "), but the flags select the " + selected + " store; the launcher decides from"
        + " --kube-subnet-mgr[=BOOL] and FLANNELD_KUBE_SUBNET_MGR before the JVM starts";
  }
}
