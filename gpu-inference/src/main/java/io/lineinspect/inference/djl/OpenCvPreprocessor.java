package io.lineinspect.inference.djl;

import io.lineinspect.core.frame.PixelFormat;
import io.lineinspect.core.inference.Preprocessor;
import io.lineinspect.core.pipeline.FrameEvent;
import java.util.ArrayList;
import java.util.List;
import org.opencv.core.Core;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Rect;
import org.opencv.core.Size;
import org.opencv.imgcodecs.Imgcodecs;
import org.opencv.imgproc.Imgproc;

/**
 * Prepares a frame for the model exactly as its manifest says, with OpenCV: decode JPEG/PNG or wrap
 * raw MONO8/BGR8/RGB8 pixels, convert to grey or RGB, cut the region of interest, resize (area or
 * linear), scale to 0..1, normalise by mean/std, and write NCHW floats into the frame's input
 * buffer.
 *
 * <p>Owned by one preprocess worker; its OpenCV matrices are reused from frame to frame.
 */
final class OpenCvPreprocessor implements Preprocessor {
  static {
    OpenCvNatives.load(); // before any Mat field below is created
  }

  private final ModelManifest.Input spec;
  private final int width;
  private final int height;
  private final int channels;
  private final int interpolation;
  private final Size size;
  private Mat encoded = new Mat();
  private final Mat raw = new Mat();
  private final Mat converted = new Mat();
  private final Mat resized = new Mat();
  private final Mat floats = new Mat();
  private final List<Mat> planes = new ArrayList<>();
  private final float[] plane;

  OpenCvPreprocessor(ModelManifest.Input spec) {
    this.spec = spec;
    this.width = spec.width();
    this.height = spec.height();
    this.channels = spec.channels();
    this.interpolation = "LINEAR".equals(spec.resize()) ? Imgproc.INTER_LINEAR : Imgproc.INTER_AREA;
    this.size = new Size(width, height);
    this.plane = new float[width * height];
    warmUpDecoders();
  }

  /**
   * The first JPEG and PNG decode initialise OpenCV's codecs: pay that before the first frame, not
   * out of a frame's budget.
   */
  private static void warmUpDecoders() {
    Mat tiny = Mat.zeros(8, 8, CvType.CV_8UC3);
    for (String ext : new String[] {".jpg", ".png"}) {
      org.opencv.core.MatOfByte bytes = new org.opencv.core.MatOfByte();
      Imgcodecs.imencode(ext, tiny, bytes);
      Imgcodecs.imdecode(bytes, Imgcodecs.IMREAD_COLOR).release();
      bytes.release();
    }
    tiny.release();
  }

  @Override
  public boolean preprocess(FrameEvent frame) {
    Mat source = toMat(frame);
    if (source == null) {
      return false;
    }
    Mat cut = source;
    if (spec.roi() != null) {
      List<Integer> r = spec.roi();
      if (r.get(0) + r.get(2) > source.cols() || r.get(1) + r.get(3) > source.rows()) {
        frame.rejectBadImage(
            "region of interest "
                + r
                + " lies outside the "
                + source.cols()
                + "x"
                + source.rows()
                + " frame");
        return false;
      }
      cut = source.submat(new Rect(r.get(0), r.get(1), r.get(2), r.get(3)));
    }
    if (cut.cols() != width || cut.rows() != height) {
      Imgproc.resize(cut, resized, size, 0, 0, interpolation);
      cut = resized;
    }
    float[] input = frame.input(channels * width * height);
    if (channels == 1) {
      double std = spec.std().get(0);
      cut.convertTo(floats, CvType.CV_32F, 1.0 / (255.0 * std), -spec.mean().get(0) / std);
      floats.get(0, 0, input);
      return true;
    }
    Core.split(cut, planes);
    for (int c = 0; c < 3; c++) {
      double std = spec.std().get(c);
      planes
          .get(c)
          .convertTo(floats, CvType.CV_32F, 1.0 / (255.0 * std), -spec.mean().get(c) / std);
      floats.get(0, 0, plane);
      System.arraycopy(plane, 0, input, c * width * height, plane.length);
    }
    return true;
  }

  /** The frame as a matrix with the model's channel count (grey, or RGB order), or null if bad. */
  private Mat toMat(FrameEvent frame) {
    PixelFormat format = frame.format();
    byte[] payload = frame.payload();
    int length = frame.payloadLength();
    if (format.isEncoded()) {
      if (encoded.cols() < length) {
        encoded.release();
        encoded = new Mat(1, Math.max(length, 4096), CvType.CV_8UC1);
      }
      encoded.put(0, 0, payload, 0, length);
      Mat bytes = encoded.colRange(0, length);
      Mat decoded =
          Imgcodecs.imdecode(
              bytes, channels == 1 ? Imgcodecs.IMREAD_GRAYSCALE : Imgcodecs.IMREAD_COLOR);
      bytes.release();
      if (decoded.empty()) {
        decoded.release();
        frame.rejectBadImage("payload is not a decodable " + format + " image");
        return null;
      }
      if (decoded.cols() != frame.width() || decoded.rows() != frame.height()) {
        String detail =
            format
                + " image is "
                + decoded.cols()
                + "x"
                + decoded.rows()
                + " but the frame header says "
                + frame.width()
                + "x"
                + frame.height();
        decoded.release();
        frame.rejectBadImage(detail);
        return null;
      }
      if (channels == 3) {
        Imgproc.cvtColor(decoded, converted, Imgproc.COLOR_BGR2RGB);
        decoded.release();
        return converted;
      }
      decoded.copyTo(converted);
      decoded.release();
      return converted;
    }
    int type = format.bytesPerPixel() == 1 ? CvType.CV_8UC1 : CvType.CV_8UC3;
    raw.create(frame.height(), frame.width(), type);
    raw.put(0, 0, payload, 0, length);
    if (format == PixelFormat.MONO8) {
      if (channels == 1) {
        return raw;
      }
      Imgproc.cvtColor(raw, converted, Imgproc.COLOR_GRAY2RGB);
      return converted;
    }
    boolean bgr = format == PixelFormat.BGR8;
    int code =
        channels == 1
            ? (bgr ? Imgproc.COLOR_BGR2GRAY : Imgproc.COLOR_RGB2GRAY)
            : (bgr ? Imgproc.COLOR_BGR2RGB : -1);
    if (code < 0) {
      return raw; // RGB8 into an RGB model: nothing to convert
    }
    Imgproc.cvtColor(raw, converted, code);
    return converted;
  }

  @Override
  public void close() {
    encoded.release();
    raw.release();
    converted.release();
    resized.release();
    floats.release();
    planes.forEach(Mat::release);
  }
}
