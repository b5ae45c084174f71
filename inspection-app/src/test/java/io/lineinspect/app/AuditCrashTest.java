package io.lineinspect.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.audit.AuditVerifier;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.sim.SimStats;
import io.lineinspect.sim.SimulatedCamera;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the service with SIGKILL under load, restarts it, and checks the audit trail: the chain
 * verifies, no record is corrupt, and the verdicts the cameras received that are missing from the
 * audit are within the documented loss window.
 */
class AuditCrashTest {
  static final int FSYNC_INTERVAL_MS = 200;
  static final double FPS_PER_CAMERA = 100;

  @TempDir Path tmp;

  /** Runs two cameras with the given ids for {@code ms}; returns them still running. */
  private static List<SimulatedCamera> cameras(int port, SimStats stats, String... ids)
      throws IOException {
    List<SimulatedCamera> cams = new ArrayList<>();
    for (String id : ids) {
      cams.add(
          new SimulatedCamera(
              "127.0.0.1",
              port,
              id,
              new SimulatedCamera.Settings(
                  96, 96, PixelFormat.MONO8, FPS_PER_CAMERA, 0.3, id.hashCode()),
              stats));
    }
    return cams;
  }

  @Test
  void sigkillUnderLoadLeavesAVerifiableAuditWithinTheFsyncWindow() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path audit = tmp.resolve("audit");
    Path config = tmp.resolve("line.yaml");
    Files.writeString(
        config,
        "line: {name: crash-test, budgetMs: 50}\n"
            + "ingest: {host: 127.0.0.1, port: "
            + port
            + ", maxMessageBytes: 1048576}\n"
            + "inference: {backend: builtin}\n"
            + "admin: {enabled: false}\n"
            + "audit: {dir: "
            + audit
            + ", fsync: interval, fsyncIntervalMs: "
            + FSYNC_INTERVAL_MS
            + "}\n");

    // Run 1: load, then SIGKILL while frames are in flight.
    SimStats before = new SimStats();
    Process first = ServiceProcess.start(config);
    List<SimulatedCamera> cams = cameras(port, before, "a-1", "a-2");
    Thread.sleep(2_000);
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no segment close
    first.waitFor(10, TimeUnit.SECONDS);
    cams.forEach(SimulatedCamera::close);

    // Run 2: the restarted service continues the chain.
    SimStats after = new SimStats();
    Process second = ServiceProcess.start(config);
    cams = cameras(port, after, "b-1", "b-2");
    Thread.sleep(1_000);
    cams.forEach(SimulatedCamera::stopSending);
    cams.forEach(c -> c.awaitLastVerdict(2_000));
    cams.forEach(SimulatedCamera::close);
    second.destroy(); // SIGTERM: clean shutdown
    second.waitFor(20, TimeUnit.SECONDS);

    Map<String, AtomicLong> recorded = new ConcurrentHashMap<>();
    AuditVerifier.Report r =
        AuditVerifier.verify(
            audit,
            line -> {
              if (line.contains(",\"type\":\"record\"")) {
                String cam = line.substring(line.indexOf("\"cam\":\"") + 7);
                cam = cam.substring(0, cam.indexOf('"'));
                recorded
                    .computeIfAbsent(cam.substring(0, 1), k -> new AtomicLong())
                    .incrementAndGet();
              }
            });
    long run1Audited = recorded.getOrDefault("a", new AtomicLong()).get();
    long run2Audited = recorded.getOrDefault("b", new AtomicLong()).get();
    long run1Received = before.snapshot().verdicts();
    long run2Received = after.snapshot().verdicts();
    long missing = Math.max(0, run1Received - run1Audited);
    long window = (long) (2 * FPS_PER_CAMERA * (FSYNC_INTERVAL_MS + 50) / 1000.0);
    System.out.printf(
        "crash test: run 1 (SIGKILL) cameras received %d verdicts, audit has %d (missing %d,"
            + " window %d); run 2 (clean) received %d, audit has %d; %s%n",
        run1Received, run1Audited, missing, window, run2Received, run2Audited, r.notes());
    assertTrue(r.ok(), "audit verify after the crash: " + r.problems());
    assertTrue(run1Received > 100, "load before the kill: " + run1Received);
    assertTrue(missing <= window, "missing " + missing + " > window " + window);
    assertTrue(
        run2Audited >= run2Received,
        "a clean stop loses nothing: " + run2Audited + " < " + run2Received);
  }
}
