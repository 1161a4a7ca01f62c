using System.Collections.Generic;
using Ferrite.Sdk;

namespace Example
{
    public class Hello
    {
        // Optional; once per worker, before its first event.
        public void InitContext(Context context)
        {
            context.UserData["greeting"] = "Hello";
        }

        public object Handle(Context context, Event ev)
        {
            var name = ev.GetField("name") ?? "world";                            // query parameters
            var body = ev.GetBodyObject() as IDictionary<string, object>;          // JSON body, if any
            if (body != null && body.ContainsKey("name"))
            {
                name = body["name"].ToString();
            }
            context.Logger.InfoWith("greeting", "name", name);                     // structured log
            return context.UserData["greeting"] + ", " + name + "!";
        }
    }
}
