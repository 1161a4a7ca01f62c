import io.ferrite.Context;
import io.ferrite.Event;
import io.ferrite.EventHandler;
import io.ferrite.Json;
import java.util.Map;

/** Greets whoever the query or a JSON body names. */
public class Hello implements EventHandler {
  private String greeting;

  @Override
  public void initContext(Context context) { // optional; once per worker, before its first event
    greeting = System.getenv().getOrDefault("GREETING", "Hello");
  }

  @Override
  public Object handleEvent(Context context, Event event) {
    String name = event.getFieldString("name"); // query parameters
    if (name == null && event.getContentType().startsWith("application/json")) {
      name = (String) ((Map<?, ?>) Json.parse(event.getBody())).get("name");
    }
    if (name == null) {
      name = "world";
    }
    context.getLogger().infoWith("greeting", "name", name); // structured log
    return greeting + ", " + name + "!";
  }
}
