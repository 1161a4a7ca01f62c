package io.ferrite.wrapper.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

/**
 * A large base64 {@code body} in a json line, handled apart from the rest of the line.
 *
 * <p>Through Jackson, a 1 MiB body became a 1.4 M-character String (decoded from UTF-8 into a char
 * buffer, then copied), then bytes again for {@link Base64}; and on the way out Jackson's own
 * base64 encoder wrote it. {@link JsonCodec} instead finds the body's bytes in the line with {@link
 * #bodySpan}, parses only the rest of the line, and decodes the body straight from the line's
 * bytes; it writes a response's body with {@link #writeBase64}.
 *
 * <p>Both go through {@link Base64} in pieces of {@link #PIECE} characters. The JVM codes base64
 * with vector instructions (an intrinsic, on CPUs that have them) only in code its top-tier JIT has
 * compiled, and a coder called once per large body gets there late: in a micro-benchmark a 1 MiB
 * body decoded whole took 0.8 ms, in pieces 0.1 ms. Pieces also keep what is being coded in the
 * cache.
 */
final class JsonBody {
  /** A line or body shorter than this many bytes goes the plain way, through Jackson whole. */
  static final int LARGE = 4096;

  /** Base64 characters coded at a time: a multiple of 4, whose bytes are a multiple of 3. */
  private static final int PIECE = 16 * 1024;

  private static final Base64.Decoder DECODER = Base64.getDecoder();
  private static final Base64.Encoder ENCODER = Base64.getEncoder();

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;

  /** Where the bytes of a string value lie in a line: {@code [start, end)}, quotes excluded. */
  record Span(int start, int end) {}

  private JsonBody() {}

  /**
   * The first {@code value} in {@code bytes[from, to)}, or -1. Reads eight bytes at a time: a long
   * line is searched several times faster than byte by byte.
   */
  static int indexOf(byte[] bytes, byte value, int from, int to) {
    long pattern = (value & 0xffL) * ONES;
    int i = from;
    for (; i <= to - 8; i += 8) {
      // A byte of x is zero where the byte is `value`; the lowest such byte sets the lowest bit.
      long x = (long) LONGS.get(bytes, i) ^ pattern;
      long found = (x - ONES) & ~x & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The bytes between the quotes of a large top-level {@code "body"} string of the object in {@code
   * line[from, to)}; null when there is none or the line is not shaped as expected (a key with an
   * escape, say, might spell "body"). Only the shape is looked at: whether the line is well formed
   * JSON is for the parser of the rest of the line to say, and the body's bytes are taken only when
   * they are valid base64.
   */
  static Span bodySpan(byte[] line, int from, int to) {
    int pos = skipSpace(line, from, to);
    if (pos == to || line[pos] != '{') {
      return null;
    }
    pos = skipSpace(line, pos + 1, to);
    Span span = null;
    while (pos < to && line[pos] == '"') {
      int keyEnd = closingQuote(line, pos, to);
      if (keyEnd < 0 || indexOf(line, (byte) '\\', pos, keyEnd) >= 0) {
        return null;
      }
      boolean isBody =
          keyEnd - pos == 5
              && line[pos + 1] == 'b'
              && line[pos + 2] == 'o'
              && line[pos + 3] == 'd'
              && line[pos + 4] == 'y';
      pos = skipSpace(line, keyEnd + 1, to);
      if (pos == to || line[pos] != ':') {
        return null;
      }
      int start = skipSpace(line, pos + 1, to);
      int end = valueEnd(line, start, to);
      if (end < 0) {
        return null;
      }
      if (isBody) {
        // Of keys that repeat, the last counts, as in the parser.
        span = line[start] == '"' ? new Span(start + 1, end - 1) : null;
      }
      pos = skipSpace(line, end, to);
      if (pos < to && line[pos] == ',') {
        pos = skipSpace(line, pos + 1, to);
      } else if (pos < to && line[pos] == '}') {
        boolean large = span != null && span.end() - span.start() >= LARGE;
        return large && skipSpace(line, pos + 1, to) == to ? span : null;
      } else {
        return null;
      }
    }
    return null;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  private static int skipSpace(byte[] line, int pos, int to) {
    while (pos < to && isSpace(line[pos])) {
      pos++;
    }
    return pos;
  }

  /** Where the string opened by the quote at {@code at} is closed, or -1. */
  private static int closingQuote(byte[] line, int at, int to) {
    int from = at + 1;
    while (true) {
      int quote = indexOf(line, (byte) '"', from, to);
      if (quote < 0) {
        return -1;
      }
      // A quote after an odd run of backslashes is part of the string; the opening quote ends
      // the run at the latest.
      int slashes = 0;
      while (line[quote - 1 - slashes] == '\\') {
        slashes++;
      }
      if (slashes % 2 == 0) {
        return quote;
      }
      from = quote + 1;
    }
  }

  /** Where the JSON value that starts at {@code pos} ends (the index after it), or -1. */
  private static int valueEnd(byte[] line, int pos, int to) {
    if (pos == to) {
      return -1;
    }
    byte first = line[pos];
    if (first == '"') {
      int quote = closingQuote(line, pos, to);
      return quote < 0 ? -1 : quote + 1;
    }
    if (first == '{' || first == '[') {
      int depth = 0;
      for (; pos < to; pos++) {
        byte b = line[pos];
        if (b == '"') {
          pos = closingQuote(line, pos, to);
          if (pos < 0) {
            return -1;
          }
        } else if (b == '{' || b == '[') {
          depth++;
        } else if (b == '}' || b == ']') {
          depth--;
          if (depth == 0) {
            return pos + 1;
          }
        }
      }
      return -1;
    }
    // A number, true, false or null: up to the next delimiter.
    for (; pos < to; pos++) {
      byte b = line[pos];
      if (b == ',' || b == '}' || isSpace(b)) {
        return pos;
      }
    }
    return -1;
  }

  /**
   * The bytes of the base64 in {@code text[start, end)}, decoded as {@code
   * Base64.getDecoder().decode} would; null when that would fail, or when the text is not padded to
   * whole groups of four, which is left to the caller's usual way.
   */
  static byte[] decodeBase64(byte[] text, int start, int end) {
    int length = end - start;
    if (length < 4 || length % 4 != 0) {
      return null;
    }
    int padding = text[end - 1] != '=' ? 0 : text[end - 2] != '=' ? 1 : 2;
    byte[] out = new byte[length / 4 * 3 - padding];
    byte[] piece = new byte[Math.min(PIECE, length)];
    byte[] decoded = new byte[piece.length / 4 * 3];
    int at = 0;
    try {
      for (int pos = start; pos < end; pos += piece.length) {
        if (end - pos < piece.length) {
          piece = new byte[end - pos];
        }
        System.arraycopy(text, pos, piece, 0, piece.length);
        int count = DECODER.decode(piece, decoded);
        // Padding in a piece before the last would be in the middle of the whole text.
        boolean last = pos + piece.length == end;
        if ((!last && count != decoded.length) || at + count > out.length) {
          return null;
        }
        System.arraycopy(decoded, 0, out, at, count);
        at += count;
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    return at == out.length ? out : null;
  }

  /** Writes {@code bytes} as base64, as {@code Base64.getEncoder().encode} would. */
  static void writeBase64(byte[] bytes, FrameBuffer out) {
    out.ensure((bytes.length + 2) / 3 * 4);
    byte[] piece = new byte[Math.min(PIECE / 4 * 3, bytes.length)];
    byte[] encoded = new byte[PIECE];
    for (int pos = 0; pos < bytes.length; pos += piece.length) {
      if (bytes.length - pos < piece.length) {
        piece = Arrays.copyOfRange(bytes, pos, bytes.length);
      } else {
        System.arraycopy(bytes, pos, piece, 0, piece.length);
      }
      out.write(encoded, 0, ENCODER.encode(piece, encoded));
    }
  }
}
