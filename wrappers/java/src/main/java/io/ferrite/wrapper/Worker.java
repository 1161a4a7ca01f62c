package io.ferrite.wrapper;

import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;
import io.ferrite.Level;
import io.ferrite.StructuredLogger;
import io.ferrite.WireResponse;
import io.ferrite.WorkerContext;
import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One wrapper's conversation with the processor, in the shape every ferrite wrapper has: connect,
 * hello, load handler, init, ready, loop (event, response, log).
 *
 * <p>With concurrency 1 events run one at a time on the thread that reads them, each response
 * written before the next event starts (PROTOCOL.md section 5): when a worker dies or times out the
 * processor blames the oldest unanswered event. With concurrency N they run on a pool of N threads
 * and are answered as they finish.
 */
final class Worker {
  private final Connection conn;
  private final Config config;
  private final Context context;
  private final ExecutorService pool;

  /** The event each thread is running, so its log lines carry the event's id. */
  private final ThreadLocal<long[]> running = ThreadLocal.withInitial(() -> new long[] {-1});

  private EventHandler handler;

  Worker(Connection conn, Config config) {
    this.conn = conn;
    this.config = config;
    StructuredLogger logger =
        new StructuredLogger(
            config.logLevel(),
            (level, message, fields) -> log(level, message, fields, running.get()[0]));
    this.context = new WorkerContext(logger, config.workerId(), config.functionName());
    this.pool =
        config.concurrency() > 1
            ? Executors.newFixedThreadPool(config.concurrency(), new HandlerThreads())
            : null;
  }

  /** The whole conversation; the process's exit status. */
  int run() throws IOException, ProtocolException {
    hello();
    try {
      loadHandler();
      init();
    } catch (Throwable e) {
      if (isFatal(e)) {
        throw (Error) e;
      }
      initError(unwrap(e));
      return 1;
    }
    ready();
    return loop();
  }

  /** Introduces the wrapper, before any user code can fail. */
  void hello() throws IOException, ProtocolException {
    Map<String, Object> hello = new HashMap<>();
    hello.put("protocol", Protocol.VERSION);
    hello.put("token", config.token());
    hello.put("runtime", "java");
    hello.put("runtime_version", System.getProperty("java.version", ""));
    hello.put("pid", ProcessHandle.current().pid());
    hello.put("concurrency", config.concurrency());
    conn.send(new Message(Protocol.HELLO, hello));
  }

  /** Finds the class {@code FERRITE_HANDLER} names and makes the one instance of it. */
  void loadHandler() throws Exception {
    String name = config.handler();
    if (name.isEmpty()) {
      throw new IllegalArgumentException(
          "FERRITE_HANDLER is empty: spec.handler must name a class implementing"
              + " io.ferrite.EventHandler");
    }
    Class<?> type;
    try {
      type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
    } catch (ClassNotFoundException e) {
      throw new ClassNotFoundException(
          "handler class " + name + " is not in the function's classes or jars", e);
    }
    if (!EventHandler.class.isAssignableFrom(type)) {
      String hint =
          implementsNuclio(type)
              ? " (it implements io.nuclio.EventHandler: change its imports from io.nuclio to"
                  + " io.ferrite)"
              : "";
      throw new IllegalArgumentException(
          "handler class " + name + " does not implement io.ferrite.EventHandler" + hint);
    }
    Constructor<?> constructor;
    try {
      constructor = type.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "handler class " + name + " needs a public constructor without arguments", e);
    }
    constructor.setAccessible(true);
    handler = (EventHandler) constructor.newInstance();
  }

  private static boolean implementsNuclio(Class<?> type) {
    for (Class<?> at = type; at != null; at = at.getSuperclass()) {
      for (Class<?> face : at.getInterfaces()) {
        if (face.getName().equals("io.nuclio.EventHandler")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Runs the handler's {@code initContext} once. */
  void init() throws Exception {
    handler.initContext(context);
  }

  /** Tells the processor why the handler did not load (the process then exits). */
  void initError(Throwable error) throws IOException, ProtocolException {
    Map<String, Object> payload = new HashMap<>();
    payload.put("message", describe(error));
    payload.put("detail", stackTrace(error));
    conn.send(new Message(Protocol.INIT_ERROR, payload));
  }

  /** Tells the processor events may come. */
  void ready() throws IOException, ProtocolException {
    conn.send(new Message(Protocol.READY, Collections.emptyMap()));
  }

  /**
   * Answers events until {@code shutdown} or the end of the stream; the exit status. One read takes
   * every event the processor pipelined.
   */
  int loop() throws IOException, ProtocolException {
    List<Message> messages = new ArrayList<>();
    try {
      while (true) {
        messages.clear();
        if (!conn.receive(messages)) {
          return 0;
        }
        for (Message message : messages) {
          switch (message.kind()) {
            case Protocol.EVENT:
              Map<String, Object> payload = message.payload();
              long id = eventId(payload);
              Event event = toEvent(id, payload);
              if (pool == null) {
                answer(id, event);
              } else {
                pool.execute(() -> answerOnPool(id, event));
              }
              break;
            case Protocol.PING:
              Object nonce = message.payload().getOrDefault("nonce", 0L);
              conn.send(new Message(Protocol.PONG, Map.of("nonce", nonce == null ? 0L : nonce)));
              break;
            case Protocol.SHUTDOWN:
              return 0;
            default:
              throw new ProtocolException(
                  "unexpected " + Protocol.name(message.kind()) + " message from the processor");
          }
        }
      }
    } finally {
      finishEvents();
    }
  }

  /** Runs one event and writes its response. */
  private void answer(long id, Event event) throws IOException {
    Message response = handleEvent(id, event);
    try {
      conn.send(response);
    } catch (ProtocolException e) {
      // The response cannot go on the wire (too large, say): answer like an exception.
      try {
        conn.send(failure(id, e));
      } catch (ProtocolException again) {
        throw new IOException(again.getMessage(), again);
      }
    }
  }

  /** {@link #answer} on a pool thread. */
  private void answerOnPool(long id, Event event) {
    try {
      answer(id, event);
    } catch (IOException e) {
      // The connection is gone; the reading thread sees that too and ends the loop.
    }
  }

  /** Lets events already handed to the pool finish and answer. */
  private void finishEvents() {
    if (pool == null) {
      return;
    }
    pool.shutdown();
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, TimeUnit.DAYS)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs the handler on one event; the {@code response} message, even if it threw. */
  Message handleEvent(long id, Event event) {
    long[] current = running.get();
    current[0] = id;
    try {
      WireResponse response = WireResponse.of(handler.handleEvent(context, event));
      return Protocol.response(
          id, response.status(), response.headers(), response.contentType(), response.body());
    } catch (Throwable e) {
      if (isFatal(e)) {
        throw (Error) e;
      }
      return failure(id, unwrap(e));
    } finally {
      current[0] = -1;
    }
  }

  /** The 500 for a handler that threw, after an error log with the stack trace. */
  private Message failure(long id, Throwable error) {
    String message = describe(error);
    log(Level.ERROR, "handler raised " + message, Map.of("traceback", stackTrace(error)), id);
    Message response =
        Protocol.response(
            id, 500, Collections.emptyMap(), "", message.getBytes(StandardCharsets.UTF_8));
    response.payload().put("error", message);
    return response;
  }

  /** The logger's sink: a {@code log} message, written at once. */
  void log(Level level, String message, Map<String, Object> fields, long eventId) {
    Map<String, Object> payload = new HashMap<>();
    payload.put("level", level.wireName());
    payload.put("message", message);
    if (eventId >= 0) {
      payload.put("id", eventId);
    }
    if (fields != null && !fields.isEmpty()) {
      payload.put("fields", fields);
    }
    try {
      conn.send(new Message(Protocol.LOG, payload));
    } catch (IOException | ProtocolException e) {
      // A log line must never break the handler; say it where it can still be seen.
      System.err.println(
          "[" + level.wireName() + "] " + message + " (not sent: " + e.getMessage() + ")");
    }
  }

  private static long eventId(Map<String, Object> payload) throws ProtocolException {
    Object id = payload.get("id");
    if (!(id instanceof Number)) {
      throw new ProtocolException("malformed event message: no id");
    }
    return ((Number) id).longValue();
  }

  private static Event toEvent(long id, Map<String, Object> payload) throws ProtocolException {
    Map<String, Object> trigger = map(payload, "trigger");
    Object body = payload.get("body");
    if (body != null && !(body instanceof byte[])) {
      throw new ProtocolException("malformed event message: body is not bytes");
    }
    return Event.builder()
        .id(id)
        .trigger(text(trigger, "kind"), text(trigger, "name"))
        .method(text(payload, "method"))
        .path(text(payload, "path"))
        .url(text(payload, "url"))
        .fields(map(payload, "query"))
        .headers(map(payload, "headers"))
        .contentType(text(payload, "content_type"))
        .body((byte[]) body)
        .timestamp(number(payload, "timestamp"))
        .deadline(number(payload, "deadline"))
        .build();
  }

  private static String text(Map<String, Object> fields, String name) {
    Object value = fields.get(name);
    return value == null ? "" : value.toString();
  }

  private static long number(Map<String, Object> fields, String name) {
    Object value = fields.get(name);
    return value instanceof Number ? ((Number) value).longValue() : 0;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Map<String, Object> fields, String name)
      throws ProtocolException {
    Object value = fields.get(name);
    if (value == null) {
      return Collections.emptyMap();
    }
    if (!(value instanceof Map)) {
      throw new ProtocolException("malformed event message: " + name + " is not a map");
    }
    return (Map<String, Object>) value;
  }

  /** Errors after which the JVM cannot be trusted: let the worker die and be restarted. */
  private static boolean isFatal(Throwable error) {
    return error instanceof VirtualMachineError && !(error instanceof StackOverflowError);
  }

  /** The exception the handler threw, out of the wrappers reflection and futures put on it. */
  static Throwable unwrap(Throwable error) {
    while ((error instanceof InvocationTargetException
            || error instanceof CompletionException
            || error instanceof ExecutionException
            || error instanceof ExceptionInInitializerError)
        && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /**
   * An exception as one line a user can act on: {@code java.lang.IllegalStateException: boom}. Line
   * breaks become spaces, and text that cannot be UTF-8 (lone surrogates) becomes {@code ?}, so the
   * line can always be sent.
   */
  static String describe(Throwable error) {
    String line;
    try {
      line = error.toString();
    } catch (RuntimeException e) {
      line = error.getClass().getName() + ": <toString() failed>";
    }
    StringBuilder out = new StringBuilder(line.length());
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\r' || c == '\n') {
        if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
          out.append(' ');
        }
      } else if (Character.isHighSurrogate(c)
          && i + 1 < line.length()
          && Character.isLowSurrogate(line.charAt(i + 1))) {
        out.append(c).append(line.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append('?');
      } else {
        out.append(c);
      }
    }
    return out.toString().trim();
  }

  static String stackTrace(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    return text.toString();
  }

  /** Daemon threads named for the worker, so a thread dump reads well. */
  private final class HandlerThreads implements ThreadFactory {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread =
          new Thread(
              task, "ferrite-worker-" + config.workerId() + "-handler-" + next.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    }
  }
}
