package io.jflannel.lab;

/**
 * A pod: a network namespace attached to its node's {@code cni0} bridge by the CNI plugin.
 *
 * @param name short name, e.g. {@code n1-p2}
 * @param netns its network namespace
 * @param node the node index it lives on
 * @param ip its IPv4 address (no prefix)
 */
public record Pod(String name, String netns, int node, String ip) {}
