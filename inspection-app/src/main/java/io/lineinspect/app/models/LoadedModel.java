package io.lineinspect.app.models;

import io.lineinspect.core.inference.InferenceBackend;
import io.lineinspect.core.inference.InferenceSession;

/** A model loaded in this process, owned by {@link ServedModels} once it has served. */
final class LoadedModel {
  final InferenceBackend backend;
  final ModelState.Entry entry;
  long[] timings; // per batch size; the live estimates when it stopped serving
  InferenceSession idleSession; // its warmed session while another model serves

  LoadedModel(InferenceBackend backend, ModelState.Entry entry, long[] timings) {
    this.backend = backend;
    this.entry = entry;
    this.timings = timings;
  }

  void close() {
    if (idleSession != null) {
      idleSession.close();
      idleSession = null;
    }
    backend.close();
  }
}
