package io.lineinspect.inference.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lineinspect.core.decide.ReasonCode;
import io.lineinspect.core.inference.InferenceSession;
import io.lineinspect.core.pipeline.FrameEvent;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Closing a DJL backend while one of its sessions is open (a shadow or candidate thread that has
 * not stopped yet) does not close the TorchScript model under it: the model is closed when the last
 * session is.
 */
class DjlBackendCloseTest {
  private static final Path FIXTURES = Path.of("src/test/resources/output-check").toAbsolutePath();

  @Test
  void shouldKeepTheModelLoadedUntilTheLastSessionIsClosed() throws Exception {
    DjlBackend backend =
        DjlBackend.load(new DjlBackendConfig("mixed/manifest.yaml", "cpu", 8, 1), FIXTURES);
    InferenceSession session = backend.newSession();
    backend.close(); // the owner lets go while a user still holds a session
    assertFalse(backend.released(), "the model is still in use");
    FrameEvent[] batch = {FrameEvent.forWarmUp(64)};
    session.infer(batch, 1);
    assertEquals(ReasonCode.NONE, batch[0].reason());
    assertEquals(0.5f, batch[0].score(), 1e-6, "the model still runs");
    session.close();
    assertTrue(backend.released(), "closed with its last session");
    assertThrows(IllegalStateException.class, () -> session.infer(batch, 1));
    assertThrows(IllegalStateException.class, backend::newSession);
  }
}
