package io.lineinspect.core.config;

/**
 * The audit trail: every verdict appended to hash-chained segment files (see {@code
 * docs/operations.md}).
 *
 * @param enabled write the audit trail (default true)
 * @param dir directory of the segments; relative paths resolve against the install directory
 *     (default {@code var/audit})
 * @param fsync {@code interval} (default): force to disk every {@code fsyncIntervalMs}; {@code
 *     segment}: only when a segment is closed; {@code always}: after every batch of records written
 * @param fsyncIntervalMs the interval for {@code fsync: interval} (default 1000)
 * @param segmentMaxBytes a segment is closed and a new one opened beyond this size (default 64 MiB)
 * @param segmentMaxSeconds ... or after this long (default 3600)
 * @param retainMaxBytes the oldest closed segments are deleted beyond this total (default 10 GiB),
 *     each recorded in the chain first
 * @param queueSize records waiting to be written, a power of two (default 8192), shared fairly
 *     among cameras; a record that finds no room is counted as dropped (and recorded as a gap),
 *     never waited for
 */
public record AuditConfig(
    Boolean enabled,
    String dir,
    String fsync,
    Integer fsyncIntervalMs,
    Long segmentMaxBytes,
    Integer segmentMaxSeconds,
    Long retainMaxBytes,
    Integer queueSize) {
  public AuditConfig {
    enabled = enabled == null || enabled;
    dir = Check.text("audit.dir", dir, "var/audit");
    fsync = Check.oneOf("audit.fsync", fsync, "interval", "interval", "segment", "always");
    fsyncIntervalMs = Check.intIn("audit.fsyncIntervalMs", fsyncIntervalMs, 1000, 1, 3_600_000);
    segmentMaxBytes = segmentMaxBytes == null ? 64L << 20 : segmentMaxBytes;
    if (segmentMaxBytes < 4096 || segmentMaxBytes > (1L << 40)) {
      throw new ConfigException(
          "audit.segmentMaxBytes: must be between 4096 and 2^40, got " + segmentMaxBytes);
    }
    segmentMaxSeconds =
        Check.intIn("audit.segmentMaxSeconds", segmentMaxSeconds, 3600, 1, 86_400 * 31);
    retainMaxBytes = retainMaxBytes == null ? 10L << 30 : retainMaxBytes;
    if (retainMaxBytes < segmentMaxBytes) {
      throw new ConfigException(
          "audit.retainMaxBytes: must be at least audit.segmentMaxBytes ("
              + segmentMaxBytes
              + "), got "
              + retainMaxBytes);
    }
    queueSize = Check.intIn("audit.queueSize", queueSize, 8192, 16, 1 << 22);
    if (Integer.bitCount(queueSize) != 1) {
      throw new ConfigException("audit.queueSize: must be a power of two, got " + queueSize);
    }
  }

  public static AuditConfig defaults() {
    return new AuditConfig(null, null, null, null, null, null, null, null);
  }

  /** The same settings writing into another directory (tests, the demo). */
  public AuditConfig inDir(String other) {
    return new AuditConfig(
        enabled,
        other,
        fsync,
        fsyncIntervalMs,
        segmentMaxBytes,
        segmentMaxSeconds,
        retainMaxBytes,
        queueSize);
  }
}
