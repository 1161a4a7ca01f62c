using System;

namespace Ferrite.Wrapper.Codec
{
    /// <summary>The codecs by <c>FERRITE_CODEC</c>'s name.</summary>
    public static class Codecs
    {
        public static readonly Registry<Func<ICodec>> ByName = new Registry<Func<ICodec>>("FERRITE_CODEC")
        {
            { "json", () => new JsonCodec() },
            { "msgpack", () => new MsgpackCodec() },
            { "flatbuffers", () => new FlatbuffersCodec() },
        };

        /// <summary>A new codec for one connection.</summary>
        public static ICodec Create(string name)
        {
            return ByName.Get(name)();
        }
    }
}
