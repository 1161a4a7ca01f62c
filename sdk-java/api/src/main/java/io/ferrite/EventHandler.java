package io.ferrite;

/**
 * A function's handler: one instance per worker process, called once per event.
 *
 * <p>nuclio's {@code io.nuclio.EventHandler}, so a nuclio handler ports by changing its imports:
 * its {@code public Response handleEvent(Context, Event)} overrides this method (a narrower return
 * type is allowed). A ferrite handler may return more than a {@link Response}:
 *
 * <ul>
 *   <li>a {@code String} (or any {@code CharSequence}): 200, {@code text/plain; charset=utf-8};
 *   <li>a {@code byte[]} or {@code ByteBuffer}: 200, {@code application/octet-stream};
 *   <li>a {@code Map}, {@code Collection}, array or record: 200, JSON ({@link Json#encode});
 *   <li>{@code Map.entry(status, body)}: that status, the body following these same rules;
 *   <li>a {@code CompletionStage}: its result, once it completes;
 *   <li>{@code null}: 200 with an empty body;
 *   <li>anything else: its {@code toString()} as text.
 * </ul>
 *
 * <p>An exception answers the event with 500 and the exception's message; the worker takes the next
 * event. The class needs a public constructor without arguments. Its instance is shared by the
 * events of one worker, which run one at a time unless the function sets {@code
 * spec.wire.concurrency} above 1: then they run on that many threads at once, and the handler must
 * be thread-safe.
 */
public interface EventHandler {
  /**
   * Handles one event.
   *
   * @param context the worker's context: logger, user data, identity
   * @param event the event
   * @return the response, or a value turned into one by the rules above
   * @throws Exception answered with 500 and the exception's message
   */
  Object handleEvent(Context context, Event event) throws Exception;

  /**
   * Runs once per worker, before its first event (Python's {@code init_context}): open clients,
   * warm caches, fill {@link Context#getUserData()}. An exception stops the function with its
   * message.
   *
   * @param context the worker's context
   * @throws Exception reported as the reason the handler did not load
   */
  default void initContext(Context context) throws Exception {}
}
