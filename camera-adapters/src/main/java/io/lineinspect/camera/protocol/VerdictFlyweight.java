package io.lineinspect.camera.protocol;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.emit.VerdictView;
import io.lineinspect.core.inference.ModelInfo;
import io.netty.buffer.ByteBuf;

/**
 * Reads and writes the body of a VERDICT message.
 *
 * <pre>
 *  offset size  field
 *   0      8    sequence     u64  the frame's sequence number
 *   8      1    verdict      u8   0 PASS, 1 FAIL
 *   9      1    flags        u8   bit 0: fail-safe (the part was not judged by the model)
 *  10      1    reason       u8   0 NONE, 1 OVERLOAD, 2 DEADLINE, 3 INFERENCE_ERROR, 4 NO_MODEL, 5 BAD_IMAGE
 *  11      1    reserved     u8   0
 *  12      4    score        f32  IEEE 754 defect score 0..1; NaN when not scored
 *  16      4    latencyUs    u32  service time from frame receipt to verdict sent, microseconds
 *  20      ..   label        string (u16 length + UTF-8)
 *  ..      ..   modelName    string ("" when no model judged the frame)
 *  ..      ..   modelVersion string
 * </pre>
 */
public final class VerdictFlyweight {
  public static final int SEQUENCE_OFFSET = 0;
  public static final int VERDICT_OFFSET = 8;
  public static final int FLAGS_OFFSET = 9;
  public static final int REASON_OFFSET = 10;
  public static final int SCORE_OFFSET = 12;
  public static final int LATENCY_OFFSET = 16;
  public static final int LABEL_OFFSET = 20;
  public static final int FLAG_FAIL_SAFE = 0x01;

  private ByteBuf buf;
  private int offset;
  private int end;

  /** Points at a VERDICT body of {@code length} bytes at absolute {@code offset}. */
  public VerdictFlyweight wrap(ByteBuf buf, int offset, int length) {
    this.buf = buf;
    this.offset = offset;
    this.end = offset + length;
    return this;
  }

  public long sequence() {
    return buf.getLong(offset + SEQUENCE_OFFSET);
  }

  public Verdict verdict() {
    return Verdict.fromCode(buf.getUnsignedByte(offset + VERDICT_OFFSET));
  }

  public boolean failSafe() {
    return (buf.getUnsignedByte(offset + FLAGS_OFFSET) & FLAG_FAIL_SAFE) != 0;
  }

  public ReasonCode reason() {
    return ReasonCode.fromCode(buf.getUnsignedByte(offset + REASON_OFFSET));
  }

  public float score() {
    return buf.getFloat(offset + SCORE_OFFSET);
  }

  public long latencyUs() {
    return buf.getUnsignedInt(offset + LATENCY_OFFSET);
  }

  /** The label, model name and model version (allocates; for clients and tests). */
  public String[] strings() {
    String label = Messages.readString(buf, offset + LABEL_OFFSET, end);
    int i = offset + LABEL_OFFSET + Messages.stringBytes(label == null ? "" : label);
    String name = Messages.readString(buf, i, end);
    i += Messages.stringBytes(name == null ? "" : name);
    String version = Messages.readString(buf, i, end);
    return new String[] {label, name, version};
  }

  /** Appends a complete VERDICT message for {@code v} to {@code out}. */
  public static void writeMessage(ByteBuf out, VerdictView v) {
    ModelInfo model = v.model();
    String name = model == null ? "" : model.name();
    String version = model == null ? "" : model.version();
    String label = v.label();
    int bodyLength =
        LABEL_OFFSET
            + Messages.stringBytes(label)
            + Messages.stringBytes(name)
            + Messages.stringBytes(version);
    Messages.writeHeader(out, ProtocolV1.TYPE_VERDICT, bodyLength);
    out.writeLong(v.sequence());
    out.writeByte(v.verdict().code());
    out.writeByte(v.reason().isFailSafe() ? FLAG_FAIL_SAFE : 0);
    out.writeByte(v.reason().code());
    out.writeByte(0);
    out.writeFloat(v.score());
    long us = Math.max(0, (v.emittedNs() - v.receivedNs()) / 1_000);
    out.writeInt((int) Math.min(us, 0xFFFF_FFFFL));
    Messages.writeString(out, label);
    Messages.writeString(out, name);
    Messages.writeString(out, version);
  }
}
