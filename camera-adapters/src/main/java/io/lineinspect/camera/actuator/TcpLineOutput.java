package io.lineinspect.camera.actuator;

import io.lineinspect.core.actuate.ActuatorEvents;
import io.lineinspect.core.actuate.ActuatorOutput;
import io.lineinspect.core.actuate.MissCause;
import io.lineinspect.core.actuate.RejectOrder;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A plain TCP signal line: connects to a gateway or IO module and writes one ASCII line per verdict
 * ({@code VERDICT …}, when it is decided) and per reject ({@code FIRE …}, at its due time). The
 * protocol is in {@code docs/actuators.md}. Anything the gateway sends back is ignored.
 *
 * <p>A gateway that is down, or stops reading, makes each reject due meanwhile a missed reject
 * (NOT_CONNECTED / WRITE_FAILED); the line reconnects with backoff and never sends old lines late.
 */
public final class TcpLineOutput implements ActuatorOutput {
  private static final System.Logger LOG = System.getLogger(TcpLineOutput.class.getName());

  private final TcpLineOutputConfig config;
  private final String name;
  private final String target;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final Backoff backoff;
  private final StringBuilder line = new StringBuilder(160);
  private volatile Channel channel;
  private volatile boolean closed;
  private ActuatorEvents events;

  public TcpLineOutput(TcpLineOutputConfig config) {
    this.config = config;
    this.name = config.name();
    this.target = config.host() + ":" + config.port();
    this.backoff = new Backoff(config.reconnectMinMs(), config.reconnectMaxMs());
    this.group =
        new MultiThreadIoEventLoopGroup(
            1,
            r -> {
              Thread t = new Thread(r, "actuator-" + config.name());
              t.setDaemon(true);
              return t;
            },
            NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, config.connectTimeoutMs())
            .handler(IGNORE_REPLIES);
  }

  /** The gateway's replies are not used; errors close the connection (which reconnects). */
  @ChannelHandler.Sharable
  private static final class IgnoreReplies extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static final IgnoreReplies IGNORE_REPLIES = new IgnoreReplies();

  @Override
  public String name() {
    return name;
  }

  @Override
  public void start(ActuatorEvents events) {
    this.events = events;
    connect();
  }

  private void connect() {
    if (closed) {
      return;
    }
    ChannelFuture f;
    try {
      f = bootstrap.connect(config.host(), config.port());
    } catch (RuntimeException | LinkageError e) {
      // A scheduled task that threw would be dropped by the event loop: retry instead.
      retry("connection attempt to " + target + " failed: " + e);
      return;
    }
    f.addListener(
        (ChannelFuture done) -> {
          if (!done.isSuccess()) {
            retry("cannot connect to " + target + ": " + done.cause().getMessage());
            return;
          }
          Channel ch = done.channel();
          channel = ch;
          backoff.reset();
          events.connection(name, true, "to " + target);
          ch.closeFuture()
              .addListener(
                  c -> {
                    channel = null;
                    retry("connection to " + target + " lost");
                  });
        });
  }

  private void retry(String why) {
    if (closed) {
      return;
    }
    events.connection(name, false, why);
    long delay = backoff.next();
    LOG.log(Level.DEBUG, "actuator {0}: {1}; retrying in {2} ms", name, why, delay);
    group.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onVerdict(RejectOrder o) {
    if (!config.verdicts()) {
      return;
    }
    Channel ch = channel;
    if (ch == null || !ch.isWritable()) {
      return; // VERDICT lines are informative; the FIRE line of a reject is what is counted
    }
    formatVerdict(o);
    ch.writeAndFlush(ascii(ch, line));
  }

  /** Formats the VERDICT line (nothing is sent): the warm-up's dry run. */
  @Override
  public void dryRun(RejectOrder o) {
    formatVerdict(o);
  }

  private void formatVerdict(RejectOrder o) {
    line.setLength(0);
    line.append("VERDICT camera=")
        .append(o.cameraId())
        .append(" seq=")
        .append(o.sequence())
        .append(" verdict=")
        .append(o.verdict())
        .append(" reason=")
        .append(o.reason())
        .append(" score=");
    appendScore(line, o.score());
    line.append(" fireAtUs=")
        .append(o.isReject() ? o.fireAtEpochUs() : 0)
        .append(" model=")
        .append(o.model() == null ? "-" : o.model().id())
        .append('\n');
  }

  @Override
  public void fire(RejectOrder o) {
    Channel ch = channel;
    if (ch == null) {
      events.missed(name, MissCause.NOT_CONNECTED, o.cameraId(), o.sequence(), target);
      return;
    }
    if (!ch.isWritable()) {
      events.missed(
          name,
          MissCause.WRITE_FAILED,
          o.cameraId(),
          o.sequence(),
          "gateway " + target + " is not reading (send buffer full)");
      return;
    }
    events.fired(name);
    line.setLength(0);
    line.append("FIRE camera=")
        .append(o.cameraId())
        .append(" seq=")
        .append(o.sequence())
        .append(" reason=")
        .append(o.reason())
        .append(" fireAtUs=")
        .append(o.fireAtEpochUs())
        .append('\n');
    String camera = o.cameraId();
    long sequence = o.sequence();
    long fireAtNs = o.fireAtNs();
    ch.writeAndFlush(ascii(ch, line))
        .addListener(
            (ChannelFuture w) -> {
              if (w.isSuccess()) {
                events.delivered(name, camera, sequence, RejectTiming.latenessUs(fireAtNs));
              } else {
                events.missed(
                    name,
                    MissCause.WRITE_FAILED,
                    camera,
                    sequence,
                    target + ": " + w.cause().getMessage());
              }
            });
  }

  /** The score with 4 decimals, without {@code String.format} (slow, allocating). */
  static void appendScore(StringBuilder b, float score) {
    if (Float.isNaN(score)) {
      b.append("nan");
      return;
    }
    int s = Math.round(Math.max(0f, Math.min(1f, score)) * 10_000);
    b.append(s / 10_000).append('.');
    int frac = s % 10_000;
    for (int d = 1_000; d > 0; d /= 10) {
      b.append((char) ('0' + frac / d % 10));
    }
  }

  private static ByteBuf ascii(Channel ch, CharSequence text) {
    ByteBuf buf = ch.alloc().buffer(text.length());
    buf.writeCharSequence(text, StandardCharsets.US_ASCII);
    return buf;
  }

  @Override
  public boolean connected() {
    Channel ch = channel;
    return ch != null && ch.isActive();
  }

  @Override
  public void close() {
    closed = true;
    Channel ch = channel;
    if (ch != null) {
      ch.close().awaitUninterruptibly(1_000);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
  }
}
