package io.ferrite.wrapper;

import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.util.List;

/**
 * Turns messages into bytes and back. Pure: it never touches a socket. Decoding takes every
 * complete message off the front of a buffer and says how many bytes they used; a buffer that ends
 * inside a frame is "need more", not an error. One instance per connection: codecs keep scratch
 * state.
 */
interface Codec {
  /** {@code json} or {@code msgpack}, as in {@code FERRITE_CODEC}. */
  String name();

  /**
   * Appends one message's frame to {@code out}; on failure {@code out} is left as it was.
   *
   * @throws ProtocolException if the frame would be over the limit, or a field cannot be encoded
   */
  void encode(Message message, FrameBuffer out) throws ProtocolException;

  /**
   * Decodes every complete message in {@code bytes[start, end)} into {@code out}.
   *
   * @return the bytes used
   * @throws ProtocolException if the bytes are not protocol messages
   */
  int decode(byte[] bytes, int start, int end, List<Message> out) throws ProtocolException;

  /**
   * How many bytes the frame at {@code start} needs in all, when the codec can tell before it is
   * complete; otherwise -1.
   */
  int frameSize(byte[] bytes, int start, int end);

  /** A fresh codec named as in {@code FERRITE_CODEC}. */
  static Codec named(String name) {
    switch (name) {
      case "msgpack":
        return new MsgpackCodec();
      case "json":
        return new JsonCodec();
      default:
        throw new IllegalArgumentException(
            "unknown codec \"" + name + "\": expected one of msgpack, json");
    }
  }
}
