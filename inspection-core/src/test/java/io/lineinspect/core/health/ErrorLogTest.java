package io.lineinspect.core.health;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ErrorLogTest {
  @Test
  void shouldLogTheFirstOccurrenceThenAtEveryPowerOfTwo() {
    List<Long> logged = new ArrayList<>();
    for (long n = 0; n <= 1100; n++) {
      if (ErrorLog.shouldLog(n)) {
        logged.add(n);
      }
    }
    assertEquals(List.of(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 512L, 1024L), logged);
  }
}
