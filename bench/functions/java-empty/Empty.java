import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;

/** Answers every event with an empty 200. */
public class Empty implements EventHandler {
  @Override
  public Object handleEvent(Context context, Event event) {
    return "";
  }
}
