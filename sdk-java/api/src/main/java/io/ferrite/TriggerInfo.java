package io.ferrite;

/** Where an event came from: nuclio's {@code io.nuclio.TriggerInfo}. */
public interface TriggerInfo {
  /**
   * The class of trigger: {@code sync} for request/response triggers such as HTTP.
   *
   * @return the trigger class
   */
  String getClassName();

  /**
   * The kind of trigger, e.g. {@code http}.
   *
   * @return the trigger kind
   */
  String getKindName();

  /**
   * The trigger's name in the function spec, e.g. {@code web}.
   *
   * @return the trigger name, or empty
   */
  default String getName() {
    return "";
  }
}
