package io.lineinspect.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.config.BuiltinBackendConfig;
import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.decide.Verdict;
import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.builtin.BuiltinBackend;
import io.lineinspect.core.pipeline.FramesThroughPipeline;
import io.lineinspect.core.pipeline.RecordingSource.Written;
import io.lineinspect.core.quality.QualityLimits;
import io.lineinspect.core.testing.UnfitFrames;
import io.lineinspect.core.testing.UnfitFrames.Fault;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fitness check on the builtin backend, through the real pipeline: frames of defective parts
 * that cannot be judged (lens cap, white, grey card, half covered, 10 % light, out of focus) fail
 * safe UNFIT_IMAGE instead of the heuristic's PASS; rendered parts of every kind are never refused.
 */
class BuiltinFitnessTest {
  private static final int SIDE = 256;

  /**
   * What {@code inspect models quality --builtin --count 3000} suggests for the simulator (the
   * defaults have no sharpness limit): used where the sharpness limit must apply.
   */
  private static final QualityLimits SIMULATOR =
      new QualityLimits(0.1493, 0.6805, 0.0789, 0.0587, 0.05, 0.0265);

  @Test
  void shouldFailSafeUnfitFramesOfDefectivePartsWithTheDefaultLimits() throws Exception {
    Map<Fault, List<Written>> byFault =
        faulted(new BuiltinBackend(BuiltinBackendConfig.defaults()), 20);
    for (Fault f : Fault.values()) {
      if (f == Fault.OUT_OF_FOCUS) {
        continue; // the defaults have no sharpness limit: see the next test
      }
      for (Written w : byFault.get(f)) {
        assertEquals(ReasonCode.UNFIT_IMAGE, w.reason(), f + ": " + w);
        assertEquals(Verdict.FAIL, w.verdict(), f + ": " + w);
        assertTrue(w.detail().startsWith("unfit image: "), w.detail());
      }
    }
    System.out.println(
        "builtin, default limits: lens cap -> "
            + byFault.get(Fault.BLACK).get(0).detail()
            + "; half covered -> "
            + byFault.get(Fault.HALF_COVERED).get(0).detail()
            + "; 10 % light -> "
            + byFault.get(Fault.TEN_PERCENT_LIGHT).get(0).detail());
  }

  @Test
  void shouldFailSafeEveryFaultWhenTheSharpnessLimitApplies() throws Exception {
    Map<Fault, List<Written>> byFault =
        faulted(new BuiltinBackend(new BuiltinBackendConfig(null, null, SIMULATOR)), 20);
    for (Fault f : Fault.values()) {
      for (Written w : byFault.get(f)) {
        assertEquals(ReasonCode.UNFIT_IMAGE, w.reason(), f + ": " + w);
      }
    }
    String blur = byFault.get(Fault.OUT_OF_FOCUS).get(0).detail();
    assertTrue(blur.contains("sharpness"), blur);
  }

  @Test
  void shouldNeverRefuseRenderedPartsOfAnyKind() throws Exception {
    for (QualityLimits limits : List.of(QualityLimits.defaults(), SIMULATOR)) {
      int n = 3000;
      PartRenderer renderer = new PartRenderer(SIDE, SIDE, 31_337, 0.5);
      byte[] pixels = new byte[SIDE * SIDE];
      Map<DefectKind, Integer> kinds = new EnumMap<>(DefectKind.class);
      List<Written> verdicts =
          FramesThroughPipeline.run(
              new BuiltinBackend(new BuiltinBackendConfig(null, null, limits)),
              n,
              SIDE,
              SIDE,
              i -> {
                kinds.merge(renderer.render(pixels, PixelFormat.MONO8).defect(), 1, Integer::sum);
                return pixels;
              });
      assertEquals(n, verdicts.size());
      assertEquals(DefectKind.values().length, kinds.size(), "every kind rendered: " + kinds);
      for (Written w : verdicts) {
        assertEquals(ReasonCode.NONE, w.reason(), "judged: " + w);
      }
    }
  }

  @Test
  void shouldNeverRefuseRenderedPartsSmallerThanTheModelInput() throws Exception {
    // Frames smaller than 128 x 128 used to leave black holes in the builtin's input.
    for (int[] size : new int[][] {{64, 64}, {160, 120}, {96, 200}}) {
      PartRenderer renderer = new PartRenderer(size[0], size[1], 99, 0.5);
      byte[] pixels = new byte[size[0] * size[1]];
      List<Written> verdicts =
          FramesThroughPipeline.run(
              new BuiltinBackend(BuiltinBackendConfig.defaults()),
              300,
              size[0],
              size[1],
              i -> {
                renderer.render(pixels, PixelFormat.MONO8);
                return pixels;
              });
      for (Written w : verdicts) {
        assertEquals(ReasonCode.NONE, w.reason(), size[0] + "x" + size[1] + ": " + w);
      }
    }
  }

  /** {@code perFault} defective parts under every fault, through the pipeline. */
  private static Map<Fault, List<Written>> faulted(BuiltinBackend backend, int perFault)
      throws Exception {
    PartRenderer renderer = new PartRenderer(SIDE, SIDE, 4711, 1.0);
    List<byte[]> frames = new ArrayList<>();
    Fault[] faults = Fault.values();
    for (int i = 0; i < perFault; i++) {
      byte[] part = new byte[SIDE * SIDE];
      assertTrue(renderer.render(part, PixelFormat.MONO8).defective());
      for (Fault f : faults) {
        byte[] q = part.clone();
        UnfitFrames.apply(f, q, SIDE, SIDE, i);
        frames.add(q);
      }
    }
    List<Written> verdicts =
        FramesThroughPipeline.run(backend, frames.size(), SIDE, SIDE, frames::get);
    assertEquals(frames.size(), verdicts.size());
    Map<Fault, List<Written>> byFault = new EnumMap<>(Fault.class);
    for (int i = 0; i < verdicts.size(); i++) {
      byFault
          .computeIfAbsent(faults[i % faults.length], k -> new ArrayList<>())
          .add(verdicts.get(i));
    }
    return byFault;
  }
}
