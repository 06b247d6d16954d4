/**
 * rtnetlink for jflannel: links (VXLAN creation and inspection), addresses, routes (including
 * {@code ip route get}), neighbours, FDB entries, pipelined batches and change notifications,
 * optionally bound to a named network namespace.
 *
 * <pre>{@code
 * try (Netlink nl = Netlink.open(new NetNs("node1"))) {
 *   Link dev = nl.createVxlan(new VxlanSpec("flannel.1",
 *       new VxlanAttrs(1, nl.link("eth0").orElseThrow().index(), localIp, 0, false, false, 0),
 *       MacAddress.randomLocalUnicast(), 1450));
 *   nl.setUp(dev.index());
 *   BatchResult r = nl.apply(List.of(
 *       NetlinkOp.neighReplace(Neigh.permanent(dev.index(), gw, vtepMac)),
 *       NetlinkOp.fdbReplace(FdbEntry.permanentSelf(dev.index(), vtepMac, peerPublicIp)),
 *       NetlinkOp.routeReplace(Route.via(subnet, 24, gw, dev.index()).onlink())));
 *   r.throwIfFailed();
 * }
 * }</pre>
 *
 * <p>Layers: {@code codec} (pure byte encoding/decoding), {@code socket} (the JNR-FFI socket
 * and namespace entry), and the {@link io.jflannel.netlink.Netlink} facade. Errors are
 * {@link io.jflannel.netlink.NetlinkException}s (checked) carrying errno, the kernel's
 * extended-ack text and the operation in iproute2 words.
 */
package io.jflannel.netlink;
