package io.ferrite;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** The {@link Context} of one worker: a logger, the worker's identity and its user data. */
public final class WorkerContext implements Context {
  private final Logger logger;
  private final int workerId;
  private final String functionName;
  private final Map<String, Object> userData = new ConcurrentHashMap<>();

  /**
   * A context for a handler's unit tests: logs to stderr, worker 0.
   *
   * @param functionName the function's name
   */
  public WorkerContext(String functionName) {
    this(StructuredLogger.toStderr(Level.DEBUG), 0, functionName);
  }

  /**
   * A context.
   *
   * @param logger where the handler's lines go
   * @param workerId the worker's index
   * @param functionName the function's name
   */
  public WorkerContext(Logger logger, int workerId, String functionName) {
    this.logger = Objects.requireNonNull(logger, "logger");
    this.workerId = workerId;
    this.functionName = Objects.requireNonNull(functionName, "functionName");
  }

  @Override
  public Logger getLogger() {
    return logger;
  }

  @Override
  public int getWorkerId() {
    return workerId;
  }

  @Override
  public String getFunctionName() {
    return functionName;
  }

  @Override
  public Map<String, Object> getUserData() {
    return userData;
  }

  @Override
  public String toString() {
    return "WorkerContext(function=" + functionName + ", worker=" + workerId + ")";
  }
}
