using System.Text;

namespace Ferrite.Wrapper.Codec
{
    /// <summary>
    /// Short ASCII texts of recent frames, handed out again when the same bytes come back.
    /// Mono takes 100 ns and more to make even a short string, a fraction of that to compare
    /// one, and from one event to the next the method, the path, the header names and most
    /// of their values repeat. An ASCII text's chars are its bytes, so it is kept as is. The
    /// msgpack and flatbuffers codecs read text through one each; only the reading thread uses it.
    /// </summary>
    internal sealed class RecentTexts
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        private const int Longest = 64;

        /// <summary>Slots picked by the length and a few bytes; a text that collides replaces the one there.</summary>
        private readonly string[] slots = new string[256];

        public string Get(byte[] buffer, int start, int length)
        {
            if (length == 0)
            {
                return "";
            }
            if (length > Longest)
            {
                return Utf8.GetString(buffer, start, length);
            }
            // A few of the bytes pick the slot: hashing them all would cost what comparing does.
            int last = start + length - 1;
            int hash = (((length * 31) + buffer[start]) * 31 + buffer[start + length / 2]) * 31 + buffer[last];
            int slot = (hash ^ (hash >> 7)) & (slots.Length - 1);
            var text = slots[slot];
            if (text != null && text.Length == length)
            {
                int at = start;
                while (at <= last && text[at - start] == buffer[at])
                {
                    at++;
                }
                if (at > last)
                {
                    return text;
                }
            }
            text = Utf8.GetString(buffer, start, length);
            if (IsAscii(text, length))
            {
                slots[slot] = text;
            }
            return text;
        }

        /// <summary>Whether <paramref name="text"/>, decoded from <paramref name="length"/> bytes, is those bytes as chars.</summary>
        private static bool IsAscii(string text, int length)
        {
            if (text.Length != length)
            {
                return false;
            }
            foreach (var c in text)
            {
                if (c >= 0x80)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
