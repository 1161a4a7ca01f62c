using Ferrite.Sdk;

namespace Bench
{
    /// <summary>
    /// The benchmark's C# echo handler: 200 with the request body, byte for byte. Served by
    /// <c>ferrite run bench/functions/dotnet-echo</c>; a <c>byte[]</c> is answered as
    /// application/octet-stream, unchanged.
    /// </summary>
    public static class Echo
    {
        public static object Handle(Context context, Event ev)
        {
            return ev.Body;
        }
    }
}
