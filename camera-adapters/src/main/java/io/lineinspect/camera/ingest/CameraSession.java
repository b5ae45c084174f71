package io.lineinspect.camera.ingest;

import io.lineinspect.camera.protocol.ErrorCode;
import io.lineinspect.camera.protocol.Messages;
import io.lineinspect.camera.protocol.VerdictFlyweight;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.pipeline.FrameSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * One camera connection as the pipeline sees it: where its verdicts go. Verdicts written during a
 * batch are gathered in one buffer and handed to Netty once per batch by {@link #flush()}, so a
 * batch costs one event-loop task per camera, not one per frame.
 *
 * <p>Threading: {@link #writeVerdict} and {@link #flush} run under this object's monitor (see
 * {@link FrameSource}), on the inference thread or this channel's event loop. Flushes are queued as
 * event-loop tasks in the order they happen, so verdict bytes reach the socket in order.
 */
final class CameraSession extends FrameSource {
  private final Channel channel;
  private final IngestMetrics metrics;
  private final boolean warmUp;
  private ByteBuf pending;
  private int pendingVerdicts;

  /**
   * @param warmUp the connection of the service's own ingest warm-up ({@link IngestWarmUp}): its
   *     verdicts reach the listeners' dry run only, never the audit, archive or actuators
   */
  CameraSession(String cameraId, Channel channel, IngestMetrics metrics, boolean warmUp) {
    super(cameraId);
    this.channel = channel;
    this.metrics = metrics;
    this.warmUp = warmUp;
  }

  @Override
  public boolean warmUp() {
    return warmUp;
  }

  @Override
  protected void writeVerdict(VerdictView v) {
    if (!channel.isActive()) {
      metrics.onUndeliverable(1);
      return;
    }
    if (pending == null) {
      pending = channel.alloc().ioBuffer(256);
    }
    if (v.reason() == ReasonCode.BAD_IMAGE && v.detail() != null && !v.peerNotified()) {
      Messages.writeError(pending, ErrorCode.BAD_IMAGE, v.sequence(), v.detail());
      metrics.onError(ErrorCode.BAD_IMAGE);
    }
    VerdictFlyweight.writeMessage(pending, v);
    pendingVerdicts++;
  }

  @Override
  protected void flush() {
    ByteBuf out = pending;
    if (out == null) {
      return;
    }
    pending = null;
    int n = pendingVerdicts;
    pendingVerdicts = 0;
    if (!channel.isActive()) {
      out.release();
      metrics.onUndeliverable(n);
      return;
    }
    // Always through the event loop's task queue, even when called on the event loop: a direct
    // write there would overtake verdicts the inference thread queued earlier, breaking the
    // per-camera order (an OVERLOAD verdict would overtake its predecessors).
    channel
        .eventLoop()
        .execute(
            () -> {
              if (channel.isActive()) {
                channel.writeAndFlush(out, channel.voidPromise());
              } else {
                out.release();
                metrics.onUndeliverable(n);
              }
            });
  }

  Channel channel() {
    return channel;
  }
}
