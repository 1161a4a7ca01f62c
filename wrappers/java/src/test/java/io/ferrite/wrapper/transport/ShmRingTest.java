package io.ferrite.wrapper.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rings on real segment files: the layout against {@code schemas/shm-layout.json}. */
class ShmRingTest {
  private Path dir;

  @BeforeEach
  void makeDir() throws IOException {
    dir = Files.createTempDirectory("ferrite-shm-");
  }

  @AfterEach
  void removeDir() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.delete(file);
      }
    }
    Files.delete(dir);
  }

  /** The repository's {@code schemas/shm-layout.json}, found from the working directory up. */
  static Map<String, Object> layoutFile() throws IOException {
    for (Path at = Path.of("").toAbsolutePath(); at != null; at = at.getParent()) {
      Path file = at.resolve("schemas/shm-layout.json");
      if (Files.isRegularFile(file)) {
        return JSON.std.mapFrom(Files.readAllBytes(file));
      }
    }
    throw new NoSuchFileException("schemas/shm-layout.json above " + Path.of("").toAbsolutePath());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> from, String key) {
    return (Map<String, Object>) from.get(key);
  }

  private static long number(Map<String, Object> from, String key) {
    return ((Number) from.get(key)).longValue();
  }

  private static long offset(Map<String, Object> from, String key) {
    return number(map(from, key), "offset");
  }

  @Test
  void theConstantsAreTheSchemas() throws IOException {
    Map<String, Object> layout = layoutFile();
    assertEquals(number(layout, "magic"), ShmLayout.MAGIC);
    assertEquals(
        layout.get("magic_ascii"),
        new String(
            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(ShmLayout.MAGIC).array(),
            java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(number(layout, "version"), ShmLayout.VERSION);
    assertEquals(number(layout, "line"), ShmLayout.LINE);
    Map<String, Object> segment = map(layout, "segment");
    assertEquals(offset(segment, "magic"), ShmLayout.MAGIC_OFFSET);
    assertEquals(offset(segment, "version"), ShmLayout.VERSION_OFFSET);
    assertEquals(offset(segment, "capacity"), ShmLayout.CAPACITY_OFFSET);
    assertEquals(offset(segment, "attached"), ShmLayout.ATTACHED_OFFSET);
    Map<String, Object> rings = map(layout, "rings");
    for (var ring : Map.of("to_wrapper", ShmLayout.TO_WRAPPER, "to_processor", 1).entrySet()) {
      Map<String, Object> entry = map(rings, ring.getKey());
      assertEquals(number(entry, "index"), (long) ring.getValue());
      assertEquals(number(entry, "control_offset"), ShmLayout.controlOffset(ring.getValue()));
    }
    assertEquals(ShmLayout.TO_PROCESSOR, 1);
    Map<String, Object> control = map(layout, "ring_control");
    assertEquals(offset(control, "tail"), ShmLayout.TAIL_OFFSET);
    assertEquals(offset(control, "producer_sleep"), ShmLayout.PRODUCER_SLEEP_OFFSET);
    assertEquals(offset(control, "head"), ShmLayout.HEAD_OFFSET);
    assertEquals(offset(control, "consumer_sleep"), ShmLayout.CONSUMER_SLEEP_OFFSET);
    assertEquals(number(layout, "data_offset"), ShmLayout.DATA_OFFSET);
    Map<String, Object> capacity = map(layout, "capacity");
    assertEquals(number(capacity, "min"), ShmLayout.MIN_CAPACITY);
    assertEquals(number(capacity, "max"), ShmLayout.MAX_CAPACITY);
    assertEquals(Boolean.TRUE, capacity.get("power_of_two"));
    assertEquals("data_offset + 2 * capacity", layout.get("segment_len"));
    assertEquals(4096 + 2 * 64, ShmLayout.segmentLength(64));
    assertEquals("data_offset + index * capacity", layout.get("ring_data_offset"));
    assertEquals(4096 + 64, ShmLayout.dataOffset(ShmLayout.TO_PROCESSOR, 64));
    assertEquals(number(layout, "doorbell_byte"), ShmLayout.DOORBELL);
    assertTrue(ShmLayout.isValidCapacity(64) && ShmLayout.isValidCapacity(1L << 30));
    for (long bad : new long[] {0, 32, 1000, 1L << 31, -64}) {
      assertFalse(ShmLayout.isValidCapacity(bad), Long.toString(bad));
    }
  }

  @Test
  void theWorkedExampleLiesInTheFileAsTheSchemaSays() throws IOException {
    Map<String, Object> example = map(layoutFile(), "example");
    int capacity = (int) number(example, "capacity");
    Path path = dir.resolve("ring");
    ShmRing.Endpoint processor = ShmRing.create(path, capacity);
    ShmRing.Endpoint wrapper = ShmRing.open(path);

    byte[] bytes = new byte[70];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    assertEquals(60, processor.producer.write(bytes, 0, 60));
    byte[] got = new byte[capacity];
    assertEquals(60, wrapper.consumer.read(got, 0, capacity));
    assertArrayEquals(Arrays.copyOf(bytes, 60), Arrays.copyOf(got, 60));
    assertTrue(wrapper.consumer.prepareToSleep(), "the ring is empty, so the wrapper sleeps");
    assertEquals(10, processor.producer.write(bytes, 60, 10));
    assertTrue(processor.producer.needsRing(), "the wrapper sleeps: ring");
    assertFalse(processor.producer.needsRing(), "once per sleep");

    ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(ShmLayout.segmentLength(capacity), file.capacity());
    assertEquals(ShmLayout.MAGIC, file.getInt(ShmLayout.MAGIC_OFFSET));
    assertEquals(ShmLayout.VERSION, file.getInt(ShmLayout.VERSION_OFFSET));
    assertEquals(capacity, file.getLong(ShmLayout.CAPACITY_OFFSET));
    assertEquals(number(example, "attached"), file.getInt(ShmLayout.ATTACHED_OFFSET));
    for (var ring : Map.of("to_wrapper", 0, "to_processor", 1).entrySet()) {
      Map<String, Object> words = map(example, ring.getKey());
      int control = ShmLayout.controlOffset(ring.getValue());
      assertEquals(number(words, "tail"), file.getLong(control + ShmLayout.TAIL_OFFSET));
      assertEquals(number(words, "head"), file.getLong(control + ShmLayout.HEAD_OFFSET));
      assertEquals(
          number(words, "producer_sleep"), file.getLong(control + ShmLayout.PRODUCER_SLEEP_OFFSET));
      assertEquals(
          number(words, "consumer_sleep"), file.getLong(control + ShmLayout.CONSUMER_SLEEP_OFFSET));
    }
    byte[] data = new byte[capacity];
    file.get((int) ShmLayout.dataOffset(ShmLayout.TO_WRAPPER, capacity), data);
    assertEquals(example.get("to_wrapper_data_hex"), HexFormat.of().formatHex(data));

    // Woken, the wrapper withdraws and reads the ten bytes that wrapped.
    wrapper.consumer.cancelSleep();
    assertEquals(10, wrapper.consumer.read(got, 0, capacity));
    assertArrayEquals(Arrays.copyOfRange(bytes, 60, 70), Arrays.copyOf(got, 10));
  }

  @Test
  void bytesWrapBothWaysAndAFullRingTakesNoMore() throws IOException {
    Path path = dir.resolve("ring");
    ShmRing.Endpoint processor = ShmRing.create(path, 64);
    ShmRing.Endpoint wrapper = ShmRing.open(path);
    assertEquals(64, wrapper.capacity());
    byte[] out = new byte[100];
    new java.util.Random(3).nextBytes(out);
    byte[] in = new byte[100];
    int sent = 0;
    int got = 0;
    for (int round = 0; round < 50; round++) {
      int n = wrapper.producer.write(out, 0, 40 + round % 30);
      assertTrue(n > 0);
      assertEquals(0, wrapper.producer.write(out, 0, 64 - n + 1) - (64 - n), "full at 64");
      assertTrue(wrapper.producer.prepareToSleep(), "full, so the producer may sleep");
      sent += 64;
      int read = processor.consumer.read(in, 0, in.length);
      assertEquals(64, read);
      assertTrue(processor.consumer.needsRing(), "the producer sleeps: ring");
      wrapper.producer.cancelSleep();
      assertFalse(wrapper.producer.prepareToSleep(), "space came: no sleep");
      got += read;
      assertArrayEquals(Arrays.copyOf(out, n), Arrays.copyOf(in, n));
      assertArrayEquals(Arrays.copyOf(out, 64 - n), Arrays.copyOfRange(in, n, 64));
      assertTrue(processor.consumer.prepareToSleep(), "empty now");
      processor.consumer.cancelSleep();
    }
    assertEquals(sent, got);
    // A full ring: the producer may sleep, and the consumer that drains it must ring.
    assertEquals(64, wrapper.producer.write(out, 0, 100));
    assertTrue(wrapper.producer.prepareToSleep());
    assertEquals(10, processor.consumer.read(in, 0, 10));
    assertTrue(processor.consumer.needsRing());
    wrapper.producer.cancelSleep();
    assertEquals(10, wrapper.producer.write(out, 0, 100));
    assertFalse(processor.consumer.needsRing(), "the producer no longer sleeps");
  }

  @Test
  void onlyOneWrapperMayOpenASegment() throws IOException {
    Path path = dir.resolve("ring");
    ShmRing.create(path, 64);
    ShmRing.open(path);
    ShmRing.SegmentException error =
        assertThrows(ShmRing.SegmentException.class, () -> ShmRing.open(path));
    assertEquals(
        "shared-memory segment " + path + " is already open by a wrapper", error.getMessage());
  }

  @Test
  void openRefusesWhatIsNotASegment() throws IOException {
    Path shortFile = dir.resolve("short");
    Files.write(shortFile, new byte[100]);
    assertTrue(
        assertThrows(ShmRing.SegmentException.class, () -> ShmRing.open(shortFile))
            .getMessage()
            .endsWith("too short for the header"));

    Path zeros = dir.resolve("zeros");
    Files.write(zeros, new byte[4096 + 128]);
    assertTrue(
        assertThrows(ShmRing.SegmentException.class, () -> ShmRing.open(zeros))
            .getMessage()
            .endsWith("magic is 0x00000000"));

    Path cut = dir.resolve("cut");
    ShmRing.create(cut, 64);
    try (RandomAccessFile file = new RandomAccessFile(cut.toFile(), "rw")) {
      file.setLength(4096 + 64);
    }
    String message =
        assertThrows(ShmRing.SegmentException.class, () -> ShmRing.open(cut)).getMessage();
    assertTrue(message.endsWith("4160 bytes long, but rings of 64 need 4224"), message);

    assertThrows(NoSuchFileException.class, () -> ShmRing.open(dir.resolve("missing")));
    assertThrows(ShmRing.SegmentException.class, () -> ShmRing.create(dir.resolve("x"), 1000));
  }
}
