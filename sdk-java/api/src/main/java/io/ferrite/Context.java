package io.ferrite;

import java.util.Map;

/**
 * What a handler and its {@link EventHandler#initContext} share within one worker: nuclio's {@code
 * io.nuclio.Context}, plus the worker's identity and a map for state.
 *
 * <p>{@link WorkerContext} is the implementation the wrapper passes, and the one to build in a
 * handler's own unit tests.
 */
public interface Context {
  /**
   * The logger: lines go to the processor's log, tagged with the worker and the event.
   *
   * @return the logger
   */
  Logger getLogger();

  /**
   * This worker's index, {@code 0} to {@code numWorkers - 1}.
   *
   * @return the worker id
   */
  default int getWorkerId() {
    return 0;
  }

  /**
   * The function's {@code metadata.name}.
   *
   * @return the function name
   */
  default String getFunctionName() {
    return "";
  }

  /**
   * State kept for the worker's life (Python's {@code context.user_data}); safe to use from several
   * threads.
   *
   * @return the worker's user data, a mutable map
   */
  default Map<String, Object> getUserData() {
    throw new UnsupportedOperationException(getClass().getName() + " has no user data");
  }
}
