package io.ferrite.wrapper.codec;

import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Turns messages into bytes and back. Pure: it never touches a socket. Decoding takes every
 * complete message off the front of a buffer and says how many bytes they used; a buffer that ends
 * inside a frame is "need more", not an error. One instance per connection: codecs keep scratch
 * state.
 */
public interface Codec {
  /** Every codec, by the name {@code FERRITE_CODEC} gives it: one line each. */
  Map<String, Supplier<Codec>> ALL =
      Map.of(
          "msgpack", MsgpackCodec::new,
          "json", JsonCodec::new,
          "flatbuffers", FlatbuffersCodec::new);

  /**
   * Appends one message's frame to {@code out}; on failure {@code out} is left as it was.
   *
   * @param message the message
   * @param out where to
   * @throws ProtocolException if the frame would be over the limit, or a field cannot be encoded
   */
  void encode(Message message, FrameBuffer out) throws ProtocolException;

  /**
   * Decodes every complete message in {@code bytes[start, end)} into {@code out}.
   *
   * @param bytes the bytes read
   * @param start the first not yet decoded
   * @param end the end of what was read
   * @param out where the messages go
   * @return the bytes used
   * @throws ProtocolException if the bytes are not protocol messages
   */
  int decode(byte[] bytes, int start, int end, List<Message> out) throws ProtocolException;

  /**
   * How many bytes the frame at {@code start} needs in all, when the codec can tell before it is
   * complete, so that a reader makes room for it at once.
   *
   * @param bytes the bytes read
   * @param start where the frame starts
   * @param end the end of what was read
   * @return the frame's size, or -1
   */
  int frameSize(byte[] bytes, int start, int end);

  /**
   * The names of every codec, for messages.
   *
   * @return e.g. {@code "json, msgpack"}
   */
  static String names() {
    return String.join(", ", new TreeSet<>(ALL.keySet()));
  }

  /**
   * A fresh codec.
   *
   * @param name as in {@code FERRITE_CODEC}
   * @return the codec
   * @throws IllegalArgumentException for an unknown name
   */
  static Codec named(String name) {
    Supplier<Codec> codec = ALL.get(name);
    if (codec == null) {
      throw new IllegalArgumentException(
          "unknown codec \"" + name + "\": expected one of " + names());
    }
    return codec.get();
  }
}
