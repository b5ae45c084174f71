package io.lineinspect.core.config;

import io.lineinspect.core.frame.PixelFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The warm start: before any camera is accepted, synthetic parts are driven through the whole line
 * path (decode of each pixel format, preprocessing, fitness check, every batch size, decide, emit,
 * the listener chain in dry run) until the stage timings are steady; {@code /ready} only after it.
 * See {@code docs/architecture.md#warm-start}.
 *
 * @param enabled warm the path up before accepting cameras (default true)
 * @param formats pixel formats the line's cameras send: each is decoded during warm-up (default:
 *     all of MONO8, BGR8, RGB8, JPEG, PNG)
 * @param width width of the synthetic parts in pixels (default 256: the demo cameras'; set the
 *     line's camera resolution)
 * @param height height of the synthetic parts in pixels (default 256)
 * @param framesPerRound frames per measuring round (default 48), sent in bursts of 1, 2, … up to
 *     the largest batch so every batch size forms
 * @param minRounds rounds at least, however steady the first ones look (default 4)
 * @param tolerancePercent a round is steady when every stage's median is within this much of the
 *     previous round's (or within 0.1 ms of it) (default 15)
 * @param maxMs the warm-up stops after this long even when not steady, with a warning (default
 *     20000)
 */
public record WarmupConfig(
    Boolean enabled,
    List<String> formats,
    Integer width,
    Integer height,
    Integer framesPerRound,
    Integer minRounds,
    Double tolerancePercent,
    Integer maxMs) {
  public WarmupConfig {
    enabled = enabled == null || enabled;
    List<String> f = new ArrayList<>();
    if (formats == null || formats.isEmpty()) {
      for (PixelFormat p : PixelFormat.values()) {
        f.add(p.name());
      }
    } else {
      for (String name : formats) {
        String n = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
        try {
          PixelFormat.valueOf(n);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(
              "warmup.formats: unknown pixel format '"
                  + name
                  + "' (MONO8, BGR8, RGB8, JPEG or PNG)");
        }
        if (!f.contains(n)) {
          f.add(n);
        }
      }
    }
    formats = List.copyOf(f);
    width = Check.intIn("warmup.width", width, 256, 16, 65_535);
    height = Check.intIn("warmup.height", height, 256, 16, 65_535);
    framesPerRound = Check.intIn("warmup.framesPerRound", framesPerRound, 48, 8, 100_000);
    minRounds = Check.intIn("warmup.minRounds", minRounds, 4, 2, 10_000);
    tolerancePercent = Check.doubleIn("warmup.tolerancePercent", tolerancePercent, 15, 1, 1_000);
    maxMs = Check.intIn("warmup.maxMs", maxMs, 20_000, 100, 600_000);
  }

  /** The pixel formats to warm up, in order. */
  public List<PixelFormat> pixelFormats() {
    return formats.stream().map(PixelFormat::valueOf).toList();
  }

  public static WarmupConfig defaults() {
    return new WarmupConfig(null, null, null, null, null, null, null, null);
  }

  /** No warm start (services assembled in code for tests and benchmarks, unless they ask). */
  public static WarmupConfig off() {
    return new WarmupConfig(false, null, null, null, null, null, null, null);
  }
}
