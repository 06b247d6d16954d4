package io.jflannel.netlink;

/**
 * One failed request of a batch.
 *
 * @param index position of the request in the list given to {@link Netlink#apply}
 * @param op    the request
 * @param error the kernel's answer (errno, ext-ack text, the operation in words)
 */
public record OpFailure(int index, NetlinkOp op, NetlinkException error) {
}
