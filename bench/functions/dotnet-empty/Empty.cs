using Ferrite.Sdk;

namespace Bench
{
    /// <summary>The benchmark's empty handler: 200, empty body.</summary>
    public static class Empty
    {
        public static object Handle(Context context, Event ev)
        {
            return null;
        }
    }
}
