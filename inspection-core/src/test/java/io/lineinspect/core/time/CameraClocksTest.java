package io.lineinspect.core.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CameraClocksTest {
  @Test
  void shouldStayBoundedUnderEverNewCameraIdsAndEvictOnlyStaleCameras() {
    AtomicLong nowUs = new AtomicLong(1_000_000_000_000L);
    CameraClocks clocks = new CameraClocks(10_000, nowUs::get);
    clocks.onHeartbeat("line-cam", nowUs.get() - 80_000);
    for (int i = 0; i < 3 * CameraClocks.MAX_CAMERAS; i++) {
      nowUs.addAndGet(10_000); // 10 ms apart: the window of 10 s holds 1000 of them
      clocks.onHeartbeat("id-" + i, nowUs.get());
      if (i % 500 == 0) {
        clocks.onHeartbeat("line-cam", nowUs.get() - 80_000); // the real camera keeps its clock
      }
    }
    assertTrue(clocks.tracked() <= CameraClocks.MAX_CAMERAS, "tracked " + clocks.tracked());
    assertEquals(80_000, clocks.offsetUs("line-cam"), "a camera with fresh samples is kept");
    assertEquals(CameraClocks.UNKNOWN, clocks.offsetUs("id-0"), "stale ones are evicted");
    clocks.onHeartbeat("new-cam", nowUs.get() - 5_000);
    assertEquals(5_000, clocks.offsetUs("new-cam"), "a new camera is still tracked");
  }

  @Test
  void shouldNotTrackANewCameraWhenEveryTrackedOneIsFresh() {
    AtomicLong nowUs = new AtomicLong(1_000_000_000_000L);
    CameraClocks clocks = new CameraClocks(10_000, nowUs::get);
    for (int i = 0; i < CameraClocks.MAX_CAMERAS; i++) {
      clocks.onHeartbeat("id-" + i, nowUs.get());
    }
    clocks.onHeartbeat("one-more", nowUs.get() - 1_000);
    assertEquals(CameraClocks.MAX_CAMERAS, clocks.tracked());
    assertEquals(CameraClocks.UNKNOWN, clocks.offsetUs("one-more"));
    assertEquals(0, clocks.offsetUs("id-7"), "tracked cameras keep their estimate");
  }
}
