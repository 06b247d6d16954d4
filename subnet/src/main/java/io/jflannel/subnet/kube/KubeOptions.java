package io.jflannel.subnet.kube;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the {@link KubeSubnetManager} that do not come from net-conf.json.
 *
 * @param annotations               annotation names ({@code --kube-annotation-prefix})
 * @param setNodeNetworkUnavailable write {@code NetworkUnavailable=False} once the network is up
 *                                  ({@code --set-node-network-unavailable}, default true)
 * @param eventQueueDepth           bound of the node-event queue ({@code EVENT_QUEUE_DEPTH}, default 5000);
 *                                  a full queue makes the informer wait
 * @param podCidrWait               how long {@code acquireLease} waits for the node's podCIDR to appear
 * @param cacheSyncTimeout          how long to wait for the first full list of nodes
 * @param continueWhenCacheNotReady go on after {@code cacheSyncTimeout} with a partial view
 *                                  ({@code CONT_WHEN_CACHE_NOT_READY=true}) instead of failing
 */
public record KubeOptions(
    AnnotationKeys annotations,
    boolean setNodeNetworkUnavailable,
    int eventQueueDepth,
    Duration podCidrWait,
    Duration cacheSyncTimeout,
    boolean continueWhenCacheNotReady) {

  /** Default {@code EVENT_QUEUE_DEPTH}. */
  public static final int DEFAULT_EVENT_QUEUE_DEPTH = 5000;

  public KubeOptions {
    Objects.requireNonNull(annotations, "annotations");
    Objects.requireNonNull(podCidrWait, "podCidrWait");
    Objects.requireNonNull(cacheSyncTimeout, "cacheSyncTimeout");
    if (eventQueueDepth <= 0) {
      throw new IllegalArgumentException("event queue depth must be positive, got " + eventQueueDepth);
    }
    if (podCidrWait.isNegative() || cacheSyncTimeout.isNegative()) {
      throw new IllegalArgumentException("timeouts must not be negative");
    }
  }

  /** Upstream defaults: default prefix, condition on, queue 5000, 30 s podCIDR wait, 10 min sync. */
  public static KubeOptions defaults() {
    return new KubeOptions(AnnotationKeys.defaults(), true, DEFAULT_EVENT_QUEUE_DEPTH,
        Duration.ofSeconds(30), Duration.ofMinutes(10), false);
  }

  /**
   * Defaults plus {@code EVENT_QUEUE_DEPTH} and {@code CONT_WHEN_CACHE_NOT_READY} from the
   * given environment. A non-positive queue depth keeps the default (as upstream).
   *
   * @throws IllegalArgumentException when EVENT_QUEUE_DEPTH is not a number
   */
  public static KubeOptions fromEnvironment(Map<String, String> env) {
    KubeOptions o = defaults();
    String depth = env.get("EVENT_QUEUE_DEPTH");
    if (depth != null && !depth.isBlank()) {
      int n;
      try {
        n = Integer.parseInt(depth.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("EVENT_QUEUE_DEPTH=" + depth + " is not a number", e);
      }
      if (n > 0) {
        o = o.withEventQueueDepth(n);
      }
    }
    String cont = env.get("CONT_WHEN_CACHE_NOT_READY");
    if (cont != null && cont.strip().equalsIgnoreCase("true")) {
      o = new KubeOptions(o.annotations, o.setNodeNetworkUnavailable, o.eventQueueDepth,
          o.podCidrWait, o.cacheSyncTimeout, true);
    }
    return o;
  }

  /** A copy with the annotation prefix {@code prefix} (normalised and validated). */
  public KubeOptions withAnnotationPrefix(String prefix) {
    return new KubeOptions(AnnotationKeys.of(prefix), setNodeNetworkUnavailable, eventQueueDepth,
        podCidrWait, cacheSyncTimeout, continueWhenCacheNotReady);
  }

  /** A copy with {@code setNodeNetworkUnavailable} set. */
  public KubeOptions withSetNodeNetworkUnavailable(boolean value) {
    return new KubeOptions(annotations, value, eventQueueDepth, podCidrWait, cacheSyncTimeout,
        continueWhenCacheNotReady);
  }

  /** A copy with the given queue depth. */
  public KubeOptions withEventQueueDepth(int depth) {
    return new KubeOptions(annotations, setNodeNetworkUnavailable, depth, podCidrWait,
        cacheSyncTimeout, continueWhenCacheNotReady);
  }

  /** A copy with the given podCIDR wait. */
  public KubeOptions withPodCidrWait(Duration wait) {
    return new KubeOptions(annotations, setNodeNetworkUnavailable, eventQueueDepth, wait,
        cacheSyncTimeout, continueWhenCacheNotReady);
  }

  /** A copy with the given cache sync timeout. */
  public KubeOptions withCacheSyncTimeout(Duration timeout) {
    return new KubeOptions(annotations, setNodeNetworkUnavailable, eventQueueDepth, podCidrWait,
        timeout, continueWhenCacheNotReady);
  }
}
