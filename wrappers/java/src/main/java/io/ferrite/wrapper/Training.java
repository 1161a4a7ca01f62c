package io.ferrite.wrapper;

import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;
import io.ferrite.Json;
import io.ferrite.Response;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.codec.Codec;
import io.ferrite.wrapper.transport.Transport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A training run for class data sharing: a few whole conversations over each transport and codec,
 * with every kind of result, a log line and an exception, so that a JVM started with {@code
 * -XX:ArchiveClassesAtExit} records every class a worker loads. The processor runs it once per
 * wrapper jar ({@code processor/src/runtime/java.rs}) and starts workers with the archive, which
 * saves them loading, parsing and verifying those classes.
 */
final class Training {
  private static final String[] PATHS = {
    "/text", "/bytes", "/json", "/response", "/pair", "/nothing", "/raise", "/log", "/parse"
  };

  private Training() {}

  /** Runs the conversations; the exit status. */
  static int run() {
    try {
      for (String transport : Transport.ALL.keySet()) {
        for (String codec : Codec.ALL.keySet()) {
          converse(transport, codec, 1);
        }
      }
      converse("unix", "msgpack", 2);
      return 0;
    } catch (Exception e) {
      Main.complain("training failed: " + e);
      return 1;
    }
  }

  private static void converse(String transport, String codec, int concurrency) throws Exception {
    try (FakeProcessor processor = FakeProcessor.listen(transport, codec)) {
      AtomicInteger status = new AtomicInteger(-1);
      Thread wrapper =
          new Thread(
              () -> status.set(Main.run(processor.env(Handler.class.getName(), concurrency))),
              "ferrite-training-wrapper");
      wrapper.start();
      processor.accept();
      List<Message> logs = new ArrayList<>();
      expect(processor.nextNotLog(logs), Protocol.HELLO);
      expect(processor.nextNotLog(logs), Protocol.READY);
      byte[] body =
          "{\"name\":\"ferrite\",\"n\":[1,2.5,true,null]}".getBytes(StandardCharsets.UTF_8);
      int rounds = 50;
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < PATHS.length; i++) {
          processor.queue(
              FakeProcessor.event(round * PATHS.length + i + 1, "POST", PATHS[i], "x=1", body));
        }
        processor.flush();
        for (int i = 0; i < PATHS.length; i++) {
          expect(processor.nextNotLog(logs), Protocol.RESPONSE);
        }
      }
      processor.send(new Message(Protocol.PING, Map.of("nonce", 7L)));
      expect(processor.nextNotLog(logs), Protocol.PONG);
      processor.send(new Message(Protocol.SHUTDOWN, Map.of()));
      wrapper.join();
      if (status.get() != 0) {
        throw new IllegalStateException("the wrapper exited with " + status.get());
      }
    }
  }

  private static void expect(Message message, int kind) {
    if (message == null || message.kind() != kind) {
      throw new IllegalStateException(
          "expected a "
              + Protocol.name(kind)
              + ", got "
              + (message == null ? "nothing" : Protocol.name(message.kind())));
    }
  }

  /** Returns each kind of result in turn. */
  public static final class Handler implements EventHandler {
    @Override
    public void initContext(Context context) {
      context.getUserData().put("started", true);
    }

    @Override
    public Object handleEvent(Context context, Event event) {
      switch (event.getPath()) {
        case "/text":
          return "hello, " + event.getFieldString("x") + event.getHeader("X-Test");
        case "/bytes":
          return event.getBody();
        case "/json":
          return Map.of("ok", true, "list", List.of(1, "two", 3.5));
        case "/response":
          return new Response()
              .setStatusCode(201)
              .setHeader("X-Case", "response")
              .setContentType("text/x-training")
              .setBody("created");
        case "/pair":
          return Map.entry(202, "accepted");
        case "/raise":
          throw new IllegalStateException("training");
        case "/log":
          context.getLogger().debug("training %d", 1);
          context.getLogger().infoWith("training", "answer", 42, "who", "java");
          return new Point(1, 2);
        case "/parse":
          return Json.parse(event.getBody());
        default:
          return null;
      }
    }
  }

  /** A record result, sent as JSON. */
  record Point(int x, int y) {}
}
