package io.ferrite.wrapper.codec;

import io.ferrite.wrapper.Protocol;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.ArrayBufferInput;
import org.msgpack.core.buffer.OutputStreamBufferOutput;
import org.msgpack.value.ValueType;

/**
 * {@code u32 BE length | u8 kind | msgpack map} frames, {@code length} counting the kind byte and
 * the map. Keeps one packer and one unpacker, reset for every frame.
 */
final class MsgpackCodec implements Codec {
  private static final int HEADER = 5;

  /** The packer writes here; it forwards to the frame buffer being filled. */
  private final Target target = new Target();

  private final MessagePacker packer =
      MessagePack.newDefaultPacker(new OutputStreamBufferOutput(target));
  private final ArrayBufferInput input = new ArrayBufferInput(new byte[0]);
  private final MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(input);

  @Override
  public void encode(Message message, FrameBuffer out) throws ProtocolException {
    int start = out.size();
    target.out = out;
    try {
      out.write(0);
      out.write(0);
      out.write(0);
      out.write(0);
      out.write(message.kind());
      packMap(message.payload());
      packer.flush();
    } catch (IOException | RuntimeException e) {
      out.truncate(start);
      resetPacker();
      throw new ProtocolException("cannot encode a " + Protocol.name(message.kind()) + ": " + e, e);
    } finally {
      target.out = null;
    }
    int length = out.size() - start - 4;
    if (length > Protocol.MAX_FRAME_LEN) {
      out.truncate(start);
      throw Protocol.frameTooLarge(length);
    }
    out.putInt(start, length);
  }

  private void resetPacker() {
    try {
      packer.clear();
    } catch (RuntimeException ignored) {
      // Nothing buffered to drop.
    }
  }

  private void packMap(Map<?, ?> map) throws IOException {
    packer.packMapHeader(map.size());
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      packer.packString(String.valueOf(entry.getKey()));
      pack(entry.getValue());
    }
  }

  private void pack(Object value) throws IOException {
    if (value == null) {
      packer.packNil();
    } else if (value instanceof String) {
      packer.packString((String) value);
    } else if (value instanceof byte[]) {
      byte[] bytes = (byte[]) value;
      packer.packBinaryHeader(bytes.length);
      packer.writePayload(bytes);
    } else if (value instanceof Long
        || value instanceof Integer
        || value instanceof Short
        || value instanceof Byte) {
      packer.packLong(((Number) value).longValue());
    } else if (value instanceof Boolean) {
      packer.packBoolean((Boolean) value);
    } else if (value instanceof Double || value instanceof Float) {
      packer.packDouble(((Number) value).doubleValue());
    } else if (value instanceof BigInteger) {
      packer.packBigInteger((BigInteger) value);
    } else if (value instanceof Map) {
      packMap((Map<?, ?>) value);
    } else if (value instanceof List) {
      List<?> list = (List<?>) value;
      packer.packArrayHeader(list.size());
      for (Object item : list) {
        pack(item);
      }
    } else {
      packer.packString(value.toString());
    }
  }

  @Override
  public int decode(byte[] bytes, int start, int end, List<Message> out) throws ProtocolException {
    int position = start;
    while (end - position >= 4) {
      long length = readLength(bytes, position);
      if (length > Protocol.MAX_FRAME_LEN) {
        throw Protocol.frameTooLarge(length);
      }
      if (length == 0) {
        throw new ProtocolException("empty frame (length 0)");
      }
      long stop = position + 4 + length;
      if (stop > end) {
        break;
      }
      int kind = bytes[position + 4] & 0xff;
      String name = Protocol.name(kind);
      if (name == null) {
        throw new ProtocolException("unknown message kind " + kind);
      }
      out.add(new Message(kind, unpackPayload(name, bytes, position + HEADER, (int) length - 1)));
      position = (int) stop;
    }
    return position - start;
  }

  @Override
  public int frameSize(byte[] bytes, int start, int end) {
    return end - start >= 4 ? (int) Math.min(readLength(bytes, start) + 4, Integer.MAX_VALUE) : -1;
  }

  private static long readLength(byte[] bytes, int position) {
    return ((bytes[position] & 0xffL) << 24)
        | ((bytes[position + 1] & 0xffL) << 16)
        | ((bytes[position + 2] & 0xffL) << 8)
        | (bytes[position + 3] & 0xffL);
  }

  private Map<String, Object> unpackPayload(String name, byte[] bytes, int offset, int length)
      throws ProtocolException {
    input.reset(bytes, offset, length);
    try {
      unpacker.reset(input);
      if (!unpacker.hasNext() || unpacker.getNextFormat().getValueType() != ValueType.MAP) {
        throw new ProtocolException("malformed " + name + " message: the payload is not a map");
      }
      return unpackMap();
    } catch (IOException | RuntimeException e) {
      throw new ProtocolException("malformed " + name + " message: " + e.getMessage(), e);
    }
  }

  private Map<String, Object> unpackMap() throws IOException {
    int size = unpacker.unpackMapHeader();
    Map<String, Object> map = new HashMap<>(Math.max(4, size * 2));
    for (int i = 0; i < size; i++) {
      Object key = unpack();
      map.put(String.valueOf(key), unpack());
    }
    return map;
  }

  private Object unpack() throws IOException {
    MessageFormat format = unpacker.getNextFormat();
    switch (format.getValueType()) {
      case NIL:
        unpacker.unpackNil();
        return null;
      case BOOLEAN:
        return unpacker.unpackBoolean();
      case INTEGER:
        if (format == MessageFormat.UINT64) {
          BigInteger big = unpacker.unpackBigInteger();
          return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }
        return unpacker.unpackLong();
      case FLOAT:
        return unpacker.unpackDouble();
      case STRING:
        return unpacker.unpackString();
      case BINARY:
        return unpacker.readPayload(unpacker.unpackBinaryHeader());
      case ARRAY:
        int size = unpacker.unpackArrayHeader();
        List<Object> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          list.add(unpack());
        }
        return list;
      case MAP:
        return unpackMap();
      default:
        unpacker.skipValue();
        return null;
    }
  }

  /** An output stream that forwards to whichever frame buffer is being filled. */
  private static final class Target extends OutputStream {
    FrameBuffer out;

    @Override
    public void write(int b) {
      out.write(b);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      out.write(bytes, offset, length);
    }
  }
}
