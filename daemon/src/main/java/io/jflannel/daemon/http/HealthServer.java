package io.jflannel.daemon.http;

import io.jflannel.daemon.flags.FlanneldOptions;
import io.jflannel.subnet.IpLiteral;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flanneld's HTTP endpoint on netty: {@code GET /healthz} (always 200 while the process
 * runs), {@code GET /readyz} (200 once {@link Readiness} is set, else 503) and
 * {@code GET /metrics} (Prometheus text). Other paths get 404, other methods 405. One event
 * loop thread: the endpoint serves probes and scrapes, not traffic.
 */
public final class HealthServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
  /** Content type of the Prometheus text exposition format. */
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final EventLoopGroup group;
  private final Channel channel;

  private HealthServer(EventLoopGroup group, Channel channel) {
    this.group = group;
    this.channel = channel;
  }

  /**
   * Binds {@code address} (port 0 picks a free port; the caller skips the server entirely when
   * {@code --healthz-port} is 0) and starts serving.
   *
   * @param metrics produces the {@code /metrics} body on each scrape
   * @throws IllegalStateException naming the address when it cannot be bound
   */
  public static HealthServer start(
      InetSocketAddress address, Readiness readiness, Supplier<String> metrics) {
    Objects.requireNonNull(readiness, "readiness");
    Objects.requireNonNull(metrics, "metrics");
    // Upstream's line, with the address as it writes one (host:port, IPv6 in brackets).
    String ip = IpLiteral.format(address.getAddress());
    LOG.info("Start healthz server on {}", (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + address.getPort());
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel ch = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              c.pipeline()
                  .addLast(new HttpServerCodec())
                  .addLast(new HttpObjectAggregator(16 * 1024))
                  .addLast(new Routes(readiness, metrics));
            }
          })
          .bind(address).sync().channel();
      LOG.info("health server listening on {}", ch.localAddress());
      return new HealthServer(group, ch);
    } catch (Exception e) {
      group.shutdownGracefully();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("cannot serve health checks on " + address + ": " + e, e);
    }
  }

  /**
   * Starts the server on {@code --healthz-ip:--healthz-port}, or returns empty when the port
   * is 0 (upstream's "disabled").
   */
  public static Optional<HealthServer> startIfEnabled(
      FlanneldOptions.Health flags, Readiness readiness, Supplier<String> metrics) {
    if (!flags.enabled()) {
      return Optional.empty();
    }
    return Optional.of(start(new InetSocketAddress(flags.ip(), flags.port()), readiness, metrics));
  }

  /** The address actually bound (with the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /** Stops listening and releases the event loop. */
  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Maps a request to its answer. */
  private static final class Routes extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Readiness readiness;
    private final Supplier<String> metrics;

    Routes(Readiness readiness, Supplier<String> metrics) {
      this.readiness = readiness;
      this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String path = new QueryStringDecoder(req.uri()).path();
      FullHttpResponse resp;
      if (!req.decoderResult().isSuccess()) {
        resp = text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
      } else if (!path.equals("/healthz") && !path.equals("/readyz") && !path.equals("/metrics")) {
        resp = text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
      } else if (!HttpMethod.GET.equals(req.method())) {
        resp = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers().set(HttpHeaderNames.ALLOW, "GET");
      } else if (path.equals("/healthz")) {
        resp = text(HttpResponseStatus.OK, "flanneld is running");
      } else if (path.equals("/readyz")) {
        resp = readiness.notReadyReason()
            .map(why -> text(HttpResponseStatus.SERVICE_UNAVAILABLE, "flanneld is not ready: " + why))
            .orElseGet(() -> text(HttpResponseStatus.OK, "flanneld is ready"));
      } else {
        resp = metricsResponse();
      }
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      HttpUtil.setContentLength(resp, resp.content().readableBytes());
      HttpUtil.setKeepAlive(resp, keepAlive);
      var write = ctx.writeAndFlush(resp);
      if (!keepAlive) {
        write.addListener(ChannelFutureListener.CLOSE);
      }
    }

    private FullHttpResponse metricsResponse() {
      try {
        FullHttpResponse r = text(HttpResponseStatus.OK, metrics.get());
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, PROMETHEUS_TEXT);
        return r;
      } catch (RuntimeException e) {
        LOG.error("metrics scrape failed", e);
        return text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "metrics unavailable\n");
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("health connection error: {}", cause.toString());
      ctx.close();
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      return r;
    }
  }
}
