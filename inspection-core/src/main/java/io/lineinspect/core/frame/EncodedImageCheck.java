package io.lineinspect.core.frame;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Proves that an encoded payload (JPEG, PNG) is complete and structurally sound before any decoder
 * sees it. Decoders are lenient: OpenCV fills the missing rows of a truncated JPEG with grey and
 * only prints a warning, {@code javax.imageio} decodes what it can; a part whose defect lies in the
 * missing or corrupt rows would then be judged on an image that does not show it (a silent pass).
 * This check refuses such a payload so the frame becomes a fail-safe BAD_IMAGE instead.
 *
 * <p>What it proves, without decoding pixels:
 *
 * <ul>
 *   <li><b>JPEG</b>: the markers from SOI are well formed; the frame is baseline or extended
 *       sequential Huffman (SOF0/SOF1), 8-bit, 1 or 3 components, one interleaved scan with every
 *       component; the quantisation and Huffman tables it uses are defined; the entropy-coded scan
 *       Huffman-decodes block by block (DC and AC symbols, coefficient bits skipped, no IDCT) into
 *       exactly the number of MCUs the frame header implies, with every code valid, no AC index
 *       past 63, restart markers RST0..7 in sequence exactly at each restart interval, only 1-bit
 *       padding before a marker, then EOI and nothing after it. Progressive, lossless, arithmetic
 *       coded, hierarchical and multi-scan JPEGs are refused as unsupported. Not detectable: a
 *       change confined to coefficient magnitude bits (the bits after a Huffman code) decodes
 *       legally, to other pixels — no structural check can tell.
 *   <li><b>PNG</b>: the signature; IHDR first with a combination both backends read the same way;
 *       every chunk's CRC; IDAT chunks consecutive; IEND present, empty, last, nothing after it;
 *       the zlib stream inflates (output discarded), ends (including its Adler-32), and yields
 *       exactly the filtered image size (height × (1 + row bytes), per Adam7 pass when interlaced)
 *       with every row's filter type ≤ 4.
 *   <li>Both: the payload's own width and height equal the frame header's, and width × height is
 *       within the pixel limit (checked first, from the header alone: see {@link
 *       EncodedImageHeader}).
 * </ul>
 *
 * <p>Not thread-safe: one instance per thread (each preprocess worker, each {@code ImageJudge}),
 * reused for every frame. In steady state it allocates nothing for an accepted payload: Huffman
 * tables, the CRC, the {@link Inflater} and its output scratch buffer are preallocated and reused;
 * only a refusal allocates (its reason). {@link #close()} frees the inflater's native memory.
 */
public final class EncodedImageCheck implements AutoCloseable {
  private static final int LUT_BITS = 9;
  private static final int TABLES = 8; // DC 0..3, AC 0..3 (index 4..7)

  private final EncodedImageHeader header;

  // ---- JPEG state ----
  private final int[][] lut = new int[TABLES][1 << LUT_BITS];
  private final int[][] maxCode = new int[TABLES][18];
  private final int[][] valPtr = new int[TABLES][17];
  private final int[][] minCode = new int[TABLES][17];
  private final int[][] huffVal = new int[TABLES][256];
  private final boolean[] huffDefined = new boolean[TABLES];
  private final boolean[] quantDefined = new boolean[4];
  private final int[][] quant = new int[4][64]; // zig-zag order, as in DQT and the scan
  private final int[] dcPred = new int[4];
  private final int[] compId = new int[4];
  private final int[] compH = new int[4];
  private final int[] compV = new int[4];
  private final int[] compTq = new int[4];
  private final int[] scanDc = new int[4];
  private final int[] scanAc = new int[4];
  private final int[] scanBlocks = new int[4];
  private int components;
  private int restartInterval;

  private byte[] data;
  private int end;
  private int pos;
  private long acc;
  private int nbits;
  private int padBits;
  private boolean stopped;
  private int stopAt;

  // ---- PNG state ----
  private final CRC32 crc = new CRC32();
  private final Inflater inflater = new Inflater();
  private final byte[] scratch = new byte[64 * 1024];
  private static final int[] ADAM7_X0 = {0, 4, 0, 2, 0, 1, 0};
  private static final int[] ADAM7_Y0 = {0, 0, 4, 0, 2, 0, 1};
  private static final int[] ADAM7_DX = {8, 8, 4, 4, 2, 2, 1};
  private static final int[] ADAM7_DY = {8, 8, 8, 4, 4, 2, 2};
  private final long[] passRowBytes = new long[7];
  private final long[] passRows = new long[7];
  private int passCount;
  private int pass;
  private long rowsLeft;
  private long nextFilterAt;
  private long rowIndex;

  /** Why a payload was refused, for counting (the reason string says exactly what). */
  public enum Cause {
    /** Declared size above the pixel limit, or not the frame header's size. */
    SIZE,
    /** A coding or variant the service does not accept (progressive JPEG, PNG with alpha, …). */
    UNSUPPORTED,
    /** Bytes missing: the payload ends, or EOI / IEND comes, before the image is complete. */
    TRUNCATED,
    /** Anything else: bad CRC, invalid code, misplaced marker, extra data, malformed segment. */
    CORRUPT;

    /**
     * The cause of a reason returned by {@link EncodedImageCheck} or {@link EncodedImageHeader}.
     */
    public static Cause of(String reason) {
      if (reason.contains("unsupported")) {
        return UNSUPPORTED;
      }
      if (reason.contains("ingest.maxImagePixels")
          || reason.contains("but the frame header says")) {
        return SIZE;
      }
      if (reason.contains("truncated") || reason.contains("data missing")) {
        return TRUNCATED;
      }
      return CORRUPT;
    }
  }

  /**
   * @param maxPixels the largest width × height accepted ({@code ingest.maxImagePixels})
   */
  public EncodedImageCheck(long maxPixels) {
    this.header = new EncodedImageHeader(maxPixels);
  }

  /**
   * Checks {@code payload[0..length)} as a {@code format} image that the frame header says is
   * {@code frameWidth x frameHeight}.
   *
   * @return null when the payload is complete and sound (or {@code format} is raw), else a one-line
   *     reason to refuse it as BAD_IMAGE
   */
  public String check(
      PixelFormat format, byte[] payload, int length, int frameWidth, int frameHeight) {
    if (!format.isEncoded()) {
      return null;
    }
    if (length <= 0) {
      return "empty " + format + " payload";
    }
    String problem = header.check(format, payload, 0, length, frameWidth, frameHeight);
    if (problem != null) {
      return problem;
    }
    try {
      return format == PixelFormat.JPEG
          ? checkJpeg(payload, length)
          : checkPng(payload, length, frameWidth, frameHeight);
    } finally {
      data = null;
    }
  }

  @Override
  public void close() {
    inflater.end();
  }

  // =====================================================================================
  // JPEG
  // =====================================================================================

  private String checkJpeg(byte[] b, int length) {
    data = b;
    end = length;
    java.util.Arrays.fill(huffDefined, false);
    java.util.Arrays.fill(quantDefined, false);
    components = 0;
    restartInterval = 0;
    int width = header.width();
    int height = header.height();
    boolean sofSeen = false;
    int p = 2;
    while (true) {
      if (p >= end) {
        return "JPEG ends at byte " + end + " before its scan (truncated)";
      }
      if ((b[p] & 0xFF) != 0xFF) {
        return String.format(
            "JPEG has byte 0x%02X at byte %d where a marker was expected", b[p] & 0xFF, p);
      }
      int markerAt = p;
      while (p < end && (b[p] & 0xFF) == 0xFF) {
        p++;
      }
      if (p >= end) {
        return "JPEG ends at byte " + end + " inside a marker (truncated)";
      }
      int m = b[p++] & 0xFF;
      if (m == 0xD8 || m == 0xD9 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0x00) {
        return String.format("JPEG has marker 0xFF%02X at byte %d before its scan", m, markerAt);
      }
      if (p + 2 > end) {
        return "JPEG ends at byte " + end + " inside a marker segment (truncated)";
      }
      int segLen = ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
      if (segLen < 2 || p + segLen > end) {
        return String.format(
            "JPEG marker 0xFF%02X at byte %d has segment length %d, %s",
            m,
            markerAt,
            segLen,
            segLen < 2 ? "too short" : "past the end of the payload (truncated)");
      }
      int s = p + 2; // segment body
      int segEnd = p + segLen;
      String problem = null;
      if (m == 0xC0 || m == 0xC1) {
        if (sofSeen) {
          return "JPEG has a second frame header SOF at byte " + markerAt;
        }
        sofSeen = true;
        problem = parseSof(b, s, segEnd, markerAt);
      } else if (m >= 0xC2 && m <= 0xCF && m != 0xC4) {
        return "unsupported JPEG coding "
            + (m == 0xCC ? "arithmetic (DAC marker)" : EncodedImageHeader.sofName(m))
            + String.format(" (marker 0xFF%02X at byte %d)", m, markerAt)
            + "; configure the camera for baseline JPEG";
      } else if (m == 0xC4) {
        problem = parseDht(b, s, segEnd, markerAt);
      } else if (m == 0xDB) {
        problem = parseDqt(b, s, segEnd, markerAt);
      } else if (m == 0xDD) {
        if (segLen != 4) {
          return "JPEG restart interval DRI at byte " + markerAt + " has length " + segLen;
        }
        restartInterval = ((b[s] & 0xFF) << 8) | (b[s + 1] & 0xFF);
      } else if (m == 0xDA) {
        if (!sofSeen) {
          return "JPEG has a scan (SOS at byte " + markerAt + ") before its frame header SOF";
        }
        problem = parseSos(b, s, segEnd, markerAt);
        if (problem != null) {
          return problem;
        }
        return checkScan(segEnd, width, height);
      } else if (m == 0xDC) {
        return "unsupported JPEG coding: DNL marker at byte " + markerAt;
      } else if (m == 0xDE || m == 0xDF) {
        return "unsupported JPEG coding: hierarchical (marker "
            + String.format("0xFF%02X", m)
            + " at byte "
            + markerAt
            + "); configure the camera for baseline JPEG";
      } else if (!(m >= 0xE0 && m <= 0xEF) && m != 0xFE && !(m >= 0xF0 && m <= 0xFD)) {
        return String.format("JPEG has unknown marker 0xFF%02X at byte %d", m, markerAt);
      }
      // APPn, COM, JPGn: skipped by length.
      if (problem != null) {
        return problem;
      }
      p = segEnd;
    }
  }

  private String parseSof(byte[] b, int s, int segEnd, int at) {
    int nf = s + 5 < segEnd ? b[s + 5] & 0xFF : -1;
    if (nf != 1 && nf != 3) {
      return "unsupported JPEG coding: "
          + (nf < 0 ? "no" : String.valueOf(nf))
          + " components (supported: 1 grey, 3 colour)";
    }
    if (segEnd - s != 6 + 3 * nf) {
      return "JPEG frame header SOF at byte "
          + at
          + " has the wrong length for "
          + nf
          + " components";
    }
    components = nf;
    for (int c = 0; c < nf; c++) {
      int o = s + 6 + 3 * c;
      compId[c] = b[o] & 0xFF;
      int hv = b[o + 1] & 0xFF;
      compH[c] = hv >> 4;
      compV[c] = hv & 15;
      compTq[c] = b[o + 2] & 0xFF;
      if (compH[c] < 1 || compH[c] > 4 || compV[c] < 1 || compV[c] > 4 || compTq[c] > 3) {
        return "JPEG component "
            + c
            + " has sampling "
            + compH[c]
            + "x"
            + compV[c]
            + " and quantisation table "
            + compTq[c]
            + " (allowed: 1..4, 0..3)";
      }
    }
    return null;
  }

  private String parseDqt(byte[] b, int s, int segEnd, int at) {
    while (s < segEnd) {
      int pq = (b[s] & 0xFF) >> 4;
      int tq = b[s] & 15;
      int size = pq == 0 ? 64 : pq == 1 ? 128 : -1;
      if (size < 0 || tq > 3 || s + 1 + size > segEnd) {
        return "JPEG quantisation table segment DQT at byte " + at + " is malformed";
      }
      quantDefined[tq] = true;
      int[] q = quant[tq];
      for (int k = 0; k < 64; k++) {
        q[k] =
            pq == 0
                ? b[s + 1 + k] & 0xFF
                : ((b[s + 1 + 2 * k] & 0xFF) << 8) | (b[s + 2 + 2 * k] & 0xFF);
      }
      s += 1 + size;
    }
    return null;
  }

  private String parseDht(byte[] b, int s, int segEnd, int at) {
    while (s < segEnd) {
      if (s + 17 > segEnd) {
        return "JPEG Huffman table segment DHT at byte " + at + " is malformed";
      }
      int tc = (b[s] & 0xFF) >> 4;
      int th = b[s] & 15;
      if (tc > 1 || th > 3) {
        return "JPEG Huffman table DHT at byte " + at + " has class " + tc + " id " + th;
      }
      int t = tc * 4 + th;
      int total = 0;
      for (int len = 1; len <= 16; len++) {
        total += b[s + len] & 0xFF;
      }
      if (total > 256 || s + 17 + total > segEnd) {
        return "JPEG Huffman table segment DHT at byte " + at + " is malformed";
      }
      int[] values = huffVal[t];
      for (int i = 0; i < total; i++) {
        values[i] = b[s + 17 + i] & 0xFF;
      }
      int[] table = lut[t];
      java.util.Arrays.fill(table, 0);
      int code = 0;
      int k = 0;
      for (int len = 1; len <= 16; len++) {
        int count = b[s + len] & 0xFF;
        valPtr[t][len] = k;
        minCode[t][len] = code;
        for (int i = 0; i < count; i++, k++, code++) {
          // As libjpeg: codes must fit their length and none may be all ones.
          if (code >= (1 << len) - 1) {
            return "JPEG Huffman table DHT at byte "
                + at
                + " has more codes than fit their lengths";
          }
          if (len <= LUT_BITS) {
            int shift = LUT_BITS - len;
            int first = code << shift;
            int entry = (len << 8) | values[k];
            for (int j = 0; j < (1 << shift); j++) {
              table[first + j] = entry;
            }
          }
        }
        maxCode[t][len] = count > 0 ? code - 1 : -1;
        code <<= 1;
      }
      maxCode[t][17] = Integer.MAX_VALUE;
      huffDefined[t] = true;
      s += 17 + total;
    }
    return null;
  }

  private String parseSos(byte[] b, int s, int segEnd, int at) {
    int ns = s < segEnd ? b[s] & 0xFF : 0;
    if (segEnd - s != 4 + 2 * ns || ns < 1 || ns > 4) {
      return "JPEG scan header SOS at byte " + at + " is malformed";
    }
    if (ns != components) {
      return "unsupported JPEG coding: non-interleaved scans (the first scan holds "
          + ns
          + " of "
          + components
          + " components); configure the camera for baseline JPEG with one interleaved scan";
    }
    for (int i = 0; i < ns; i++) {
      int cs = b[s + 1 + 2 * i] & 0xFF;
      int tdta = b[s + 2 + 2 * i] & 0xFF;
      if (cs != compId[i]) {
        return "JPEG scan component "
            + i
            + " is id "
            + cs
            + " but the frame header has "
            + compId[i];
      }
      scanDc[i] = tdta >> 4;
      scanAc[i] = 4 + (tdta & 15);
      if ((tdta >> 4) > 3 || (tdta & 15) > 3) {
        return "JPEG scan component "
            + i
            + " names Huffman tables "
            + (tdta >> 4)
            + "/"
            + (tdta & 15);
      }
      if (!huffDefined[scanDc[i]] || !huffDefined[scanAc[i]]) {
        return "JPEG scan component "
            + i
            + " uses Huffman table "
            + (huffDefined[scanDc[i]] ? "AC " + (tdta & 15) : "DC " + (tdta >> 4))
            + " that is not defined";
      }
      if (!quantDefined[compTq[i]]) {
        return "JPEG component "
            + i
            + " uses quantisation table "
            + compTq[i]
            + " that is not defined";
      }
    }
    int o = s + 1 + 2 * ns;
    int ss = b[o] & 0xFF;
    int se = b[o + 1] & 0xFF;
    int ahal = b[o + 2] & 0xFF;
    if (ss != 0 || se != 63 || ahal != 0) {
      return "JPEG scan header SOS at byte "
          + at
          + " has spectral selection "
          + ss
          + ".."
          + se
          + " and approximation "
          + ahal
          + " (sequential needs 0..63 and 0)";
    }
    return null;
  }

  /** Walks the entropy-coded data from {@code start} (right after the SOS segment). */
  private String checkScan(int start, int width, int height) {
    long totalMcus;
    int blocksPerMcu = 0;
    if (components == 1) {
      totalMcus = (long) ((width + 7) >> 3) * ((height + 7) >> 3);
      scanBlocks[0] = 1;
      blocksPerMcu = 1;
    } else {
      int hMax = 1;
      int vMax = 1;
      for (int c = 0; c < components; c++) {
        hMax = Math.max(hMax, compH[c]);
        vMax = Math.max(vMax, compV[c]);
        scanBlocks[c] = compH[c] * compV[c];
        blocksPerMcu += scanBlocks[c];
      }
      if (blocksPerMcu > 10) {
        return "JPEG MCU has " + blocksPerMcu + " blocks (sampling factors allow at most 10)";
      }
      totalMcus =
          (long) ((width + 8 * hMax - 1) / (8 * hMax)) * ((height + 8 * vMax - 1) / (8 * vMax));
    }
    pos = start;
    resetBits();
    java.util.Arrays.fill(dcPred, 0);
    int expectedRst = 0;
    int ri = restartInterval;
    long sinceRestart = 0;
    for (long mcu = 0; mcu < totalMcus; mcu++) {
      if (ri > 0 && sinceRestart == ri) {
        String problem = alignAndMarker(mcu, totalMcus);
        if (problem != null) {
          return problem;
        }
        int code = markerCode();
        if (code != 0xD0 + expectedRst) {
          return markerProblem(code, mcu, totalMcus, expectedRst);
        }
        pos = markerEnd();
        resetBits();
        java.util.Arrays.fill(dcPred, 0);
        expectedRst = (expectedRst + 1) & 7;
        sinceRestart = 0;
      }
      for (int c = 0; c < components; c++) {
        for (int k = scanBlocks[c]; k > 0; k--) {
          String problem = decodeBlock(scanDc[c], scanAc[c], c);
          if (problem != null) {
            if (nbits < padBits) {
              return ranOut(mcu, totalMcus);
            }
            return "JPEG scan is corrupt in MCU "
                + mcu
                + " of "
                + totalMcus
                + " (near byte "
                + bytePosition()
                + "): "
                + problem;
          }
        }
      }
      if (nbits < padBits) {
        return ranOut(mcu, totalMcus);
      }
      sinceRestart++;
    }
    String problem = alignAndMarker(totalMcus, totalMcus);
    if (problem != null) {
      return problem;
    }
    int code = markerCode();
    if (code != 0xD9) {
      if (code >= 0xD0 && code <= 0xD7) {
        return String.format(
            "JPEG has restart marker RST%d at byte %d after its last MCU; expected EOI",
            code - 0xD0, stopAt);
      }
      return code < 0
          ? "JPEG has no EOI marker after its " + totalMcus + " MCUs (truncated)"
          : String.format(
              "JPEG has marker 0xFF%02X at byte %d after its last MCU where EOI was expected"
                  + " (several scans are not supported)",
              code, stopAt);
    }
    int after = markerEnd();
    if (after != end) {
      return "JPEG has " + (end - after) + " bytes after its EOI marker";
    }
    return null;
  }

  private void resetBits() {
    acc = 0;
    nbits = 0;
    padBits = 0;
    stopped = false;
    stopAt = -1;
  }

  /** Adds bytes to the bit buffer up to 57+ bits; past a marker or the end it adds zero padding. */
  private void fill() {
    byte[] b = data;
    while (nbits <= 56) {
      int v = 0;
      if (!stopped) {
        if (pos >= end) {
          stopped = true;
          stopAt = end;
        } else {
          v = b[pos] & 0xFF;
          if (v != 0xFF) {
            pos++;
          } else if (pos + 1 < end && b[pos + 1] == 0) {
            pos += 2; // stuffed FF00
          } else {
            stopped = true;
            stopAt = pos;
            v = 0;
          }
        }
      }
      if (stopped) {
        padBits += 8;
      }
      acc = (acc << 8) | v;
      nbits += 8;
    }
  }

  /** Decodes one Huffman symbol of table {@code t}; -1 when no code matches. */
  private int decode(int t) {
    if (nbits < 32) {
      fill();
    }
    int e = lut[t][(int) (acc >>> (nbits - LUT_BITS)) & ((1 << LUT_BITS) - 1)];
    if (e != 0) {
      nbits -= e >> 8;
      return e & 0xFF;
    }
    int[] max = maxCode[t];
    for (int len = LUT_BITS + 1; len <= 16; len++) {
      int code = (int) (acc >>> (nbits - len)) & ((1 << len) - 1);
      if (code <= max[len]) {
        nbits -= len;
        return huffVal[t][valPtr[t][len] + code - minCode[t][len]];
      }
    }
    return -1;
  }

  /**
   * One 8x8 block of component {@code c}: DC symbol + bits, AC symbols + bits until EOB or index
   * 63. Besides the code structure it checks that every coefficient, dequantised, lies in the range
   * a forward DCT of 8-bit samples can produce (|DC| ≤ 1024, |AC| < 1024, plus one quantisation
   * step of rounding): a cheap plausibility test that catches most desynchronised data the code
   * structure alone would accept.
   */
  private String decodeBlock(int dc, int ac, int c) {
    int[] q = quant[compTq[c]];
    int s = decode(dc);
    if (s < 0) {
      return "invalid DC Huffman code";
    }
    if (s > 11) {
      return "DC difference category " + s + " (at most 11 for 8-bit samples)";
    }
    int pred = dcPred[c] + receive(s);
    dcPred[c] = pred;
    if (Math.abs((long) pred * q[0]) > 1024 + q[0]) {
      return "DC coefficient " + pred + " x " + q[0] + " is outside the range of 8-bit samples";
    }
    for (int k = 1; k < 64; ) {
      int rs = decode(ac);
      if (rs < 0) {
        return "invalid AC Huffman code at index " + k;
      }
      int r = rs >> 4;
      s = rs & 15;
      if (s == 0) {
        if (r == 0) {
          return null; // EOB
        }
        if (r != 15) {
          return String.format("AC symbol 0x%02X is not defined for sequential JPEG", rs);
        }
        k += 16;
        if (k > 64) {
          return "AC zero run runs past coefficient 63";
        }
        continue;
      }
      k += r;
      if (k > 63) {
        return "AC coefficient index " + k + " past 63";
      }
      if (s > 10) {
        return "AC coefficient size " + s + " (at most 10 for 8-bit samples)";
      }
      int v = receive(s);
      if (Math.abs(v * q[k]) > 1024 + q[k]) {
        return "AC coefficient "
            + v
            + " x "
            + q[k]
            + " at index "
            + k
            + " is outside the range of 8-bit samples";
      }
      k++;
    }
    return null;
  }

  /** Takes {@code s} bits (s ≤ 16, buffered) as a JPEG signed value of category {@code s}. */
  private int receive(int s) {
    if (s == 0) {
      return 0;
    }
    nbits -= s;
    int v = (int) (acc >>> nbits) & ((1 << s) - 1);
    return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
  }

  private long bytePosition() {
    int real = Math.max(0, nbits - padBits);
    return stopped ? stopAt - real / 8 : pos - real / 8;
  }

  private String ranOut(long mcu, long total) {
    int code = markerCode();
    if (code < 0) {
      return "JPEG ends after " + mcu + " of its " + total + " MCUs (truncated)";
    }
    if (code == 0xD9) {
      return "JPEG scan ends (EOI at byte "
          + stopAt
          + ") after "
          + mcu
          + " of its "
          + total
          + " MCUs (data missing)";
    }
    return String.format(
        "JPEG has marker 0xFF%02X at byte %d inside its scan, after %d of its %d MCUs",
        code, stopAt, mcu, total);
  }

  /**
   * At an MCU boundary where a marker must follow (restart or the end): the rest of the current
   * byte must be 1-bit padding and the next bytes a marker. Leaves {@code stopAt} at that marker.
   */
  private String alignAndMarker(long mcu, long total) {
    int real = nbits - padBits;
    int partial = real & 7;
    if (partial > 0) {
      int bits = (int) (acc >>> (nbits - partial)) & ((1 << partial) - 1);
      if (bits != (1 << partial) - 1) {
        return "JPEG scan is corrupt: padding bits after MCU "
            + mcu
            + " of "
            + total
            + " are not all 1 (near byte "
            + bytePosition()
            + ")";
      }
    }
    if (real >= 8 || (!stopped && !atMarkerOrEnd())) {
      return "JPEG has extra entropy-coded data after MCU "
          + mcu
          + " of its "
          + total
          + " (near byte "
          + bytePosition()
          + ") where "
          + (mcu == total ? "EOI" : "a restart marker")
          + " was expected";
    }
    if (!stopped) {
      stopped = true;
      stopAt = pos;
    }
    return null;
  }

  private boolean atMarkerOrEnd() {
    return pos >= end || ((data[pos] & 0xFF) == 0xFF && (pos + 1 >= end || data[pos + 1] != 0));
  }

  /** The marker code at {@code stopAt} (after fill bytes), or -1 at the end of the payload. */
  private int markerCode() {
    int q = stopAt;
    while (q < end && (data[q] & 0xFF) == 0xFF) {
      q++;
    }
    return q >= end ? -1 : data[q] & 0xFF;
  }

  private int markerEnd() {
    int q = stopAt;
    while (q < end && (data[q] & 0xFF) == 0xFF) {
      q++;
    }
    return q + 1;
  }

  private String markerProblem(int code, long mcu, long total, int expectedRst) {
    if (code < 0) {
      return "JPEG ends after " + mcu + " of its " + total + " MCUs (truncated)";
    }
    if (code >= 0xD0 && code <= 0xD7) {
      return String.format(
          "JPEG has restart marker RST%d at byte %d after MCU %d; expected RST%d",
          code - 0xD0, stopAt, mcu, expectedRst);
    }
    if (code == 0xD9) {
      return "JPEG scan ends (EOI at byte "
          + stopAt
          + ") after "
          + mcu
          + " of its "
          + total
          + " MCUs (data missing)";
    }
    return String.format(
        "JPEG has marker 0xFF%02X at byte %d after MCU %d where RST%d was expected",
        code, stopAt, mcu, expectedRst);
  }

  // =====================================================================================
  // PNG
  // =====================================================================================

  private String checkPng(byte[] b, int length, int width, int height) {
    int bitDepth = b[24] & 0xFF;
    int colourType = b[25] & 0xFF;
    int compression = b[26] & 0xFF;
    int filter = b[27] & 0xFF;
    int interlace = b[28] & 0xFF;
    int samples;
    switch (colourType) {
      case 0 -> samples = bitDepth == 8 || bitDepth == 16 ? 1 : -1;
      case 2 -> samples = bitDepth == 8 || bitDepth == 16 ? 3 : -1;
      case 3 -> samples = bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8 ? 1 : -1;
      default -> samples = -1;
    }
    if (samples < 0) {
      return "unsupported PNG variant: colour type "
          + colourType
          + " with bit depth "
          + bitDepth
          + " (supported: grey 8/16-bit, RGB 8/16-bit, palette 1/2/4/8-bit, no alpha)";
    }
    if (compression != 0 || filter != 0 || interlace > 1) {
      return "PNG IHDR has compression "
          + compression
          + ", filter "
          + filter
          + ", interlace "
          + interlace
          + " (defined: 0, 0, 0 or 1)";
    }
    long expected = planRows(width, height, (long) samples * bitDepth, interlace == 1);

    inflater.reset();
    long produced = 0;
    boolean idatSeen = false;
    boolean idatDone = false;
    boolean plteSeen = false;
    int p = 8;
    while (true) {
      if (p == length) {
        return "PNG ends at byte " + length + " without an IEND chunk (truncated)";
      }
      if (p + 12 > length) {
        return "PNG ends at byte " + length + " inside the chunk at byte " + p + " (truncated)";
      }
      int chunkLength = u32(b, p);
      int type = u32(b, p + 4);
      if (chunkLength < 0) {
        return "PNG chunk " + chunkName(type) + " at byte " + p + " declares a length above 2^31-1";
      }
      if (!validChunkType(type)) {
        return "PNG chunk at byte " + p + " has an invalid type (not four letters)";
      }
      if ((long) p + 12 + chunkLength > length) {
        return "PNG chunk "
            + chunkName(type)
            + " at byte "
            + p
            + " declares "
            + chunkLength
            + " data bytes but the payload ends at byte "
            + length
            + " (truncated)";
      }
      crc.reset();
      crc.update(b, p + 4, 4 + chunkLength);
      int carried = u32(b, p + 8 + chunkLength);
      if ((int) crc.getValue() != carried) {
        return String.format(
            "PNG chunk %s at byte %d has CRC 0x%08X but carries 0x%08X",
            chunkName(type), p, crc.getValue(), carried);
      }
      int dataAt = p + 8;
      boolean critical = (type & 0x20000000) == 0;
      if (type == 0x49444154) { // IDAT
        if (idatDone) {
          return "PNG IDAT chunk at byte " + p + " is not consecutive with the earlier IDAT chunks";
        }
        if (colourType == 3 && !plteSeen) {
          return "PNG palette image has no PLTE chunk before its image data";
        }
        idatSeen = true;
        if (inflater.finished() && chunkLength > 0) {
          return "PNG IDAT chunk at byte " + p + " holds data after the end of the zlib stream";
        }
        inflater.setInput(b, dataAt, chunkLength);
        try {
          while (true) {
            int n = inflater.inflate(scratch);
            if (produced + n > expected) {
              return "PNG image data inflates to more than the "
                  + expected
                  + " bytes "
                  + width
                  + "x"
                  + height
                  + " needs";
            }
            String bad = checkFilters(produced, n);
            if (bad != null) {
              return bad;
            }
            produced += n;
            if (inflater.finished()) {
              break;
            }
            if (n == 0) {
              if (inflater.needsDictionary()) {
                return "PNG zlib stream asks for a preset dictionary";
              }
              if (inflater.needsInput()) {
                break;
              }
              return "PNG zlib stream stalls in the IDAT chunk at byte " + p;
            }
          }
        } catch (DataFormatException e) {
          return "PNG zlib stream is corrupt in the IDAT chunk at byte "
              + p
              + " after "
              + produced
              + " of "
              + expected
              + " bytes: "
              + e.getMessage();
        }
        if (inflater.finished() && inflater.getRemaining() > 0) {
          return "PNG IDAT chunk at byte " + p + " holds data after the end of the zlib stream";
        }
      } else {
        if (idatSeen) {
          idatDone = true;
        }
        if (type == 0x49454E44) { // IEND
          if (chunkLength != 0) {
            return "PNG IEND chunk at byte " + p + " is not empty";
          }
          if (!idatSeen) {
            return "PNG has no image data (no IDAT chunk before IEND)";
          }
          if (p + 12 != length) {
            return "PNG has " + (length - p - 12) + " bytes after its IEND chunk";
          }
          if (!inflater.finished()) {
            return "PNG image data ends after "
                + produced
                + " of its "
                + expected
                + " bytes (zlib stream not finished: truncated)";
          }
          if (produced != expected) {
            return "PNG image data inflates to "
                + produced
                + " bytes but "
                + width
                + "x"
                + height
                + " needs "
                + expected;
          }
          return null;
        } else if (type == 0x49484452) { // IHDR
          if (p != 8) {
            return "PNG has a second IHDR chunk at byte " + p;
          }
        } else if (type == 0x504C5445) { // PLTE
          if (plteSeen
              || idatSeen
              || chunkLength % 3 != 0
              || chunkLength == 0
              || chunkLength > 768) {
            return "PNG PLTE chunk at byte " + p + " is misplaced or malformed";
          }
          plteSeen = true;
        } else if (critical) {
          return "unsupported PNG critical chunk " + chunkName(type) + " at byte " + p;
        }
      }
      p += 12 + chunkLength;
    }
  }

  /** Sets up the rows (and Adam7 passes) and returns the filtered byte count. */
  private long planRows(int width, int height, long bitsPerPixel, boolean interlaced) {
    passCount = 0;
    long total = 0;
    if (!interlaced) {
      passRows[0] = height;
      passRowBytes[0] = 1 + (width * bitsPerPixel + 7) / 8;
      passCount = 1;
    } else {
      for (int i = 0; i < 7; i++) {
        long pw = width > ADAM7_X0[i] ? (width - ADAM7_X0[i] + ADAM7_DX[i] - 1) / ADAM7_DX[i] : 0;
        long ph = height > ADAM7_Y0[i] ? (height - ADAM7_Y0[i] + ADAM7_DY[i] - 1) / ADAM7_DY[i] : 0;
        if (pw > 0 && ph > 0) {
          passRows[passCount] = ph;
          passRowBytes[passCount] = 1 + (pw * bitsPerPixel + 7) / 8;
          passCount++;
        }
      }
    }
    for (int i = 0; i < passCount; i++) {
      total += passRows[i] * passRowBytes[i];
    }
    pass = 0;
    rowsLeft = passRows[0];
    nextFilterAt = 0;
    rowIndex = 0;
    return total;
  }

  /** Every row start in {@code scratch[0..n)} (stream offset {@code base}) has a filter ≤ 4. */
  private String checkFilters(long base, int n) {
    long limit = base + n;
    while (nextFilterAt < limit) {
      int f = scratch[(int) (nextFilterAt - base)] & 0xFF;
      if (f > 4) {
        return "PNG row "
            + rowIndex
            + (passCount > 1 ? " (counting all Adam7 passes)" : "")
            + " has filter type "
            + f
            + " (defined: 0..4)";
      }
      nextFilterAt += passRowBytes[pass];
      rowIndex++;
      if (--rowsLeft == 0) {
        if (++pass >= passCount) {
          nextFilterAt = Long.MAX_VALUE;
          return null;
        }
        rowsLeft = passRows[pass];
      }
    }
    return null;
  }

  private static boolean validChunkType(int type) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      int c = (type >>> shift) & 0xFF;
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return false;
      }
    }
    return true;
  }

  private static String chunkName(int type) {
    char[] c = new char[4];
    for (int i = 0; i < 4; i++) {
      int v = (type >>> (24 - 8 * i)) & 0xFF;
      c[i] = v >= 0x20 && v < 0x7F ? (char) v : '?';
    }
    return new String(c);
  }

  private static int u32(byte[] b, int i) {
    return ((b[i] & 0xFF) << 24)
        | ((b[i + 1] & 0xFF) << 16)
        | ((b[i + 2] & 0xFF) << 8)
        | (b[i + 3] & 0xFF);
  }
}
