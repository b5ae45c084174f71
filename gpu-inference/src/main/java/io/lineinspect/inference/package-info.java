/**
 * Inference backends behind {@link io.lineinspect.core.inference.InferenceBackend}. The DJL /
 * PyTorch backend with OpenCV preprocessing lands here (issue 3). Until then the service runs on
 * the builtin heuristic backend of {@code inspection-core}.
 */
package io.lineinspect.inference;
