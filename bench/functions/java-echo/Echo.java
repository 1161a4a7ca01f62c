import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;

/**
 * The benchmark's Java echo handler: 200 with the request body, byte for byte. Served by {@code
 * ferrite run bench/functions/java-echo}; a {@code byte[]} is answered as application/octet-stream,
 * unchanged.
 */
public class Echo implements EventHandler {
  @Override
  public Object handleEvent(Context context, Event event) {
    return event.getBody();
  }
}
