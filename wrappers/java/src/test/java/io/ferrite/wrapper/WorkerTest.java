package io.ferrite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;
import io.ferrite.wrapper.Protocol.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Whole conversations: a real {@link Main#run} against a {@link FakeProcessor}. */
@Timeout(30)
class WorkerTest {
  /** A wrapper running in a thread of this JVM. */
  private static final class Wrapper implements AutoCloseable {
    final FakeProcessor processor;
    final Thread thread;
    final AtomicInteger status = new AtomicInteger(-1);
    final List<Message> logs = new ArrayList<>();

    Wrapper(String transport, String codec, String handler, int concurrency) throws Exception {
      processor = FakeProcessor.listen(transport, codec);
      Map<String, String> env = processor.env(handler, concurrency);
      thread = new Thread(() -> status.set(Main.run(env)), "wrapper-under-test");
      thread.start();
      processor.accept();
    }

    Message next() throws Exception {
      return processor.nextNotLog(logs);
    }

    int stop() throws Exception {
      processor.send(new Message(Protocol.SHUTDOWN, Map.of()));
      thread.join(10_000);
      return status.get();
    }

    @Override
    public void close() throws Exception {
      processor.close();
      thread.join(10_000);
    }
  }

  private static String text(Message response) {
    return new String((byte[]) response.payload().get("body"), StandardCharsets.UTF_8);
  }

  private static long number(Message message, String field) {
    return ((Number) message.payload().get(field)).longValue();
  }

  @ParameterizedTest
  @CsvSource({
    "unix,msgpack",
    "unix,json",
    "unix,flatbuffers",
    "tcp,msgpack",
    "tcp,json",
    "tcp,flatbuffers",
    "shm,msgpack",
    "shm,json",
    "shm,flatbuffers"
  })
  void helloReadyEventsAndShutdown(String transport, String codec) throws Exception {
    try (Wrapper wrapper = new Wrapper(transport, codec, Training.Handler.class.getName(), 1)) {
      Message hello = wrapper.next();
      assertEquals(Protocol.HELLO, hello.kind());
      assertEquals("t0ken", hello.payload().get("token"));
      assertEquals("java", hello.payload().get("runtime"));
      assertEquals(1L, number(hello, "protocol"));
      assertEquals(1L, number(hello, "concurrency"));
      assertEquals(ProcessHandle.current().pid(), number(hello, "pid"));
      assertEquals(Protocol.READY, wrapper.next().kind());

      // Pipelined: three events in one write, answered in order.
      wrapper.processor.queue(FakeProcessor.event(1, "GET", "/text", "x=1", new byte[0]));
      wrapper.processor.queue(FakeProcessor.event(2, "GET", "/pair", "", new byte[0]));
      wrapper.processor.queue(FakeProcessor.event(3, "GET", "/raise", "", new byte[0]));
      wrapper.processor.flush();
      Message text = wrapper.next();
      assertEquals(1L, number(text, "id"));
      assertEquals("hello, 1yes", text(text));
      assertEquals("text/plain; charset=utf-8", text.payload().get("content_type"));
      Message pair = wrapper.next();
      assertEquals(202L, number(pair, "status"));
      Message raised = wrapper.next();
      assertEquals(3L, number(raised, "id"));
      assertEquals(500L, number(raised, "status"));
      assertEquals("java.lang.IllegalStateException: training", raised.payload().get("error"));
      Message errorLog = wrapper.logs.get(wrapper.logs.size() - 1);
      assertEquals("error", errorLog.payload().get("level"));
      assertEquals(3L, number(errorLog, "id"));
      assertTrue(
          ((Map<?, ?>) errorLog.payload().get("fields"))
              .get("traceback")
              .toString()
              .contains("Training$Handler"));

      wrapper.processor.send(new Message(Protocol.PING, Map.of("nonce", 9L)));
      Message pong = wrapper.next();
      assertEquals(Protocol.PONG, pong.kind());
      assertEquals(9L, number(pong, "nonce"));
      assertEquals(0, wrapper.stop());
    }
  }

  /** Each codec carries fields its own way (flatbuffers: as JSON text). */
  @ParameterizedTest
  @ValueSource(strings = {"json", "msgpack", "flatbuffers"})
  void logsCarryTheEventAndTheirFields(String codec) throws Exception {
    try (Wrapper wrapper = new Wrapper("unix", codec, Training.Handler.class.getName(), 1)) {
      wrapper.next();
      wrapper.next();
      wrapper.processor.send(FakeProcessor.event(5, "GET", "/log", "", new byte[0]));
      Message response = wrapper.next();
      assertEquals("{\"x\":1,\"y\":2}", text(response));
      assertEquals(2, wrapper.logs.size());
      Message structured = wrapper.logs.get(1);
      assertEquals(5L, number(structured, "id"));
      assertEquals("info", structured.payload().get("level"));
      Map<?, ?> fields = (Map<?, ?>) structured.payload().get("fields");
      assertEquals(42L, ((Number) fields.get("answer")).longValue());
      assertEquals("java", fields.get("who"));
      assertEquals(null, wrapper.logs.get(0).payload().get("fields"));
      assertEquals("training 1", wrapper.logs.get(0).payload().get("message"));
      assertEquals(0, wrapper.stop());
    }
  }

  @Test
  void aMissingClassIsAnInitError() throws Exception {
    try (Wrapper wrapper = new Wrapper("unix", "msgpack", "com.example.Missing", 1)) {
      assertEquals(Protocol.HELLO, wrapper.next().kind());
      Message error = wrapper.next();
      assertEquals(Protocol.INIT_ERROR, error.kind());
      String message = (String) error.payload().get("message");
      assertTrue(
          message.contains("handler class com.example.Missing is not in the function's classes"),
          message);
      assertNotNull(error.payload().get("detail"));
      wrapper.thread.join(10_000);
      assertEquals(1, wrapper.status.get());
    }
  }

  @Test
  void aClassThatIsNoHandlerIsAnInitError() throws Exception {
    try (Wrapper wrapper = new Wrapper("unix", "msgpack", "java.lang.String", 1)) {
      wrapper.next();
      String message = (String) wrapper.next().payload().get("message");
      assertTrue(message.contains("does not implement io.ferrite.EventHandler"), message);
    }
  }

  /** Fails in initContext. */
  public static final class FailingInit implements EventHandler {
    @Override
    public void initContext(Context context) {
      throw new IllegalStateException("no database");
    }

    @Override
    public Object handleEvent(Context context, Event event) {
      return null;
    }
  }

  @Test
  void anInitContextExceptionIsAnInitError() throws Exception {
    try (Wrapper wrapper = new Wrapper("tcp", "json", FailingInit.class.getName(), 1)) {
      wrapper.next();
      Message error = wrapper.next();
      assertEquals("java.lang.IllegalStateException: no database", error.payload().get("message"));
    }
  }

  /** Waits until {@code parties} events run at once, then answers with its thread's name. */
  public static final class Gathering implements EventHandler {
    static volatile CountDownLatch latch;

    @Override
    public Object handleEvent(Context context, Event event) throws Exception {
      latch.countDown();
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the events did not run at once");
      }
      return Thread.currentThread().getName();
    }
  }

  /** Over shm, handlers' threads write while the reading thread sleeps on the one doorbell. */
  @ParameterizedTest
  @ValueSource(strings = {"unix", "shm"})
  void concurrencyRunsEventsAtOnceOnAPool(String transport) throws Exception {
    Gathering.latch = new CountDownLatch(4);
    try (Wrapper wrapper = new Wrapper(transport, "msgpack", Gathering.class.getName(), 4)) {
      assertEquals(4L, number(wrapper.next(), "concurrency"));
      wrapper.next();
      for (int id = 1; id <= 4; id++) {
        wrapper.processor.queue(FakeProcessor.event(id, "GET", "/", "", new byte[0]));
      }
      wrapper.processor.flush();
      Set<Long> ids = new HashSet<>();
      Set<String> threads = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        Message response = wrapper.next();
        assertEquals(200L, number(response, "status"), text(response));
        ids.add(number(response, "id"));
        threads.add(text(response));
      }
      assertEquals(Set.of(1L, 2L, 3L, 4L), ids);
      assertEquals(4, threads.size());
      assertEquals(0, wrapper.stop());
    }
  }

  @Test
  void aLargeBodyComesBackWhole() throws Exception {
    byte[] body = new byte[3 * 1024 * 1024 + 17];
    new java.util.Random(1).nextBytes(body);
    for (String transport : new String[] {"unix", "shm"}) {
      for (String codec : new String[] {"msgpack", "json", "flatbuffers"}) {
        largeBody(transport, codec, body);
      }
    }
  }

  private static void largeBody(String transport, String codec, byte[] body) throws Exception {
    try (Wrapper wrapper = new Wrapper(transport, codec, Training.Handler.class.getName(), 1)) {
      wrapper.next();
      wrapper.next();
      wrapper.processor.send(FakeProcessor.event(1, "POST", "/bytes", "", body));
      Message response = wrapper.next();
      org.junit.jupiter.api.Assertions.assertArrayEquals(
          body, (byte[]) response.payload().get("body"), transport + " " + codec);
      assertEquals(0, wrapper.stop());
    }
  }

  @Test
  void theEndOfTheStreamEndsTheWrapperCleanly() throws Exception {
    Wrapper wrapper = new Wrapper("unix", "msgpack", Training.Handler.class.getName(), 1);
    wrapper.next();
    wrapper.next();
    wrapper.close();
    assertEquals(0, wrapper.status.get());
  }

  @Test
  void aSegmentAnotherWrapperClaimedIsRefused() throws Exception {
    try (FakeProcessor processor = FakeProcessor.listen("shm", "msgpack")) {
      Map<String, String> env = processor.env(Training.Handler.class.getName(), 1);
      io.ferrite.wrapper.transport.ShmRing.open(java.nio.file.Path.of(env.get("FERRITE_SHM_PATH")));
      assertEquals(1, Main.run(env));
      Map<String, String> noSegment = new java.util.HashMap<>(env);
      noSegment.remove("FERRITE_SHM_PATH");
      IllegalArgumentException error =
          org.junit.jupiter.api.Assertions.assertThrows(
              IllegalArgumentException.class, () -> Config.fromEnv(noSegment));
      assertEquals("FERRITE_SHM_PATH is not set (FERRITE_TRANSPORT=shm)", error.getMessage());
    }
  }

  @Test
  void badVariablesAreNamed() {
    Map<String, String> env = Map.of("FERRITE_ADDRESS", "/x", "FERRITE_CONCURRENCY", "0");
    IllegalArgumentException error =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> Config.fromEnv(env));
    assertTrue(error.getMessage().startsWith("FERRITE_CONCURRENCY"), error.getMessage());
    assertEquals(1, Config.fromEnv(Map.of("FERRITE_ADDRESS", "/x")).concurrency());
    error =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> Config.fromEnv(Map.of("FERRITE_ADDRESS", "/x", "FERRITE_CODEC", "cbor")));
    assertEquals(
        "FERRITE_CODEC=\"cbor\" is not one of flatbuffers, json, msgpack", error.getMessage());
  }
}
