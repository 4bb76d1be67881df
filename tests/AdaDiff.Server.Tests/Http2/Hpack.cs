using System.Text;

namespace AdaDiff.Server.Tests.Http2;

/// <summary>HPACK (RFC 7541) encoding of request header fields: literals without indexing, no Huffman coding.</summary>
internal static class HpackEncoder
{
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var block = new MemoryStream();
        foreach ((string name, string value) in fields)
        {
            block.WriteByte(0x00); // literal header field without indexing, new name
            WriteString(block, name);
            WriteString(block, value);
        }
        return block.ToArray();
    }

    private static void WriteString(MemoryStream block, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        WriteInteger(block, bytes.Length, 7, 0x00);
        block.Write(bytes);
    }

    internal static void WriteInteger(MemoryStream block, int value, int prefixBits, byte firstByteFlags)
    {
        int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            block.WriteByte((byte)(firstByteFlags | value));
            return;
        }
        block.WriteByte((byte)(firstByteFlags | max));
        value -= max;
        while (value >= 128)
        {
            block.WriteByte((byte)((value & 0x7f) | 0x80));
            value >>= 7;
        }
        block.WriteByte((byte)value);
    }
}

/// <summary>
/// HPACK decoding of response header blocks with the static and dynamic tables; strings must not be Huffman-coded
/// (Kestrel's encoder writes them raw).
/// </summary>
internal sealed class HpackDecoder
{
    private static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
        (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
        (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
        ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""), ("cache-control", ""),
        ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""),
        ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""),
        ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""), ("if-unmodified-since", ""),
        ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""),
        ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
        ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    private readonly List<(string Name, string Value)> dynamic = []; // newest first
    private int dynamicSize;
    private int maxDynamicSize = 4096;

    public List<KeyValuePair<string, string>> Decode(byte[] block)
    {
        List<KeyValuePair<string, string>> fields = [];
        int at = 0;
        while (at < block.Length)
        {
            byte first = block[at];
            if ((first & 0x80) != 0)
            {
                (string name, string value) = Entry(ReadInteger(block, ref at, 7));
                fields.Add(new(name, value));
            }
            else if ((first & 0xc0) == 0x40)
            {
                KeyValuePair<string, string> field = ReadLiteral(block, ref at, 6);
                fields.Add(field);
                Insert(field.Key, field.Value);
            }
            else if ((first & 0xe0) == 0x20)
            {
                maxDynamicSize = ReadInteger(block, ref at, 5);
                Evict();
            }
            else
            {
                fields.Add(ReadLiteral(block, ref at, 4)); // without indexing (0000) or never indexed (0001)
            }
        }
        return fields;
    }

    private KeyValuePair<string, string> ReadLiteral(byte[] block, ref int at, int prefixBits)
    {
        int index = ReadInteger(block, ref at, prefixBits);
        string name = index == 0 ? ReadString(block, ref at) : Entry(index).Name;
        return new(name, ReadString(block, ref at));
    }

    private (string Name, string Value) Entry(int index)
    {
        if (index >= 1 && index <= StaticTable.Length)
        {
            return StaticTable[index - 1];
        }
        int dynamicIndex = index - StaticTable.Length - 1;
        return dynamicIndex >= 0 && dynamicIndex < dynamic.Count
            ? dynamic[dynamicIndex]
            : throw new InvalidDataException($"HPACK index {index} is not in the tables");
    }

    private void Insert(string name, string value)
    {
        dynamic.Insert(0, (name, value));
        dynamicSize += name.Length + value.Length + 32;
        Evict();
    }

    private void Evict()
    {
        while (dynamicSize > maxDynamicSize && dynamic.Count > 0)
        {
            (string name, string value) = dynamic[^1];
            dynamic.RemoveAt(dynamic.Count - 1);
            dynamicSize -= name.Length + value.Length + 32;
        }
    }

    private static string ReadString(byte[] block, ref int at)
    {
        bool huffman = (block[at] & 0x80) != 0;
        int length = ReadInteger(block, ref at, 7);
        if (huffman)
        {
            throw new NotSupportedException("a Huffman-coded header string; this test client decodes raw strings only");
        }
        string text = Encoding.UTF8.GetString(block, at, length);
        at += length;
        return text;
    }

    private static int ReadInteger(byte[] block, ref int at, int prefixBits)
    {
        int max = (1 << prefixBits) - 1;
        int value = block[at++] & max;
        if (value < max)
        {
            return value;
        }
        int shift = 0;
        byte next;
        do
        {
            next = block[at++];
            value += (next & 0x7f) << shift;
            shift += 7;
        }
        while ((next & 0x80) != 0);
        return value;
    }
}
