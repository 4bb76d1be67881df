using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace AdaDiff.Packaging.Safetensors;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// <c>{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}</c>,
/// then the raw little-endian buffers (offsets relative to the end of the header).
/// </summary>
public sealed class SafetensorsFile
{
    /// <summary>Largest header accepted (the reference implementation's limit): 100 MB.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Creates an in-memory file.</summary>
    public SafetensorsFile(IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var byName = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
        foreach (SafetensorsTensor tensor in tensors)
        {
            if (!byName.TryAdd(tensor.Name, tensor))
            {
                throw new ArgumentException($"duplicate tensor name '{tensor.Name}'", nameof(tensors));
            }
        }
        Tensors = tensors;
        ByName = byName;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<SafetensorsTensor> Tensors { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> ByName { get; }

    /// <summary>The free-form string metadata of the header.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates a file; throws <see cref="InvalidDataException"/> naming the file and the problem.</summary>
    public static SafetensorsFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: safetensors file not found", path, e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses a whole file held in memory; <paramref name="source"/> names it in errors.</summary>
    public static SafetensorsFile Parse(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8)
        {
            throw Corrupt(source, $"truncated: {bytes.Length} bytes, fewer than the 8-byte header length");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw Corrupt(source, $"header length {headerLength} exceeds {MaxHeaderBytes} bytes (not a safetensors file?)");
        }
        if (8 + (long)headerLength > bytes.Length)
        {
            throw Corrupt(source, $"truncated: header says {headerLength} bytes but only {bytes.Length - 8} follow");
        }
        int dataStart = 8 + (int)headerLength;
        long dataLength = bytes.Length - dataStart;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw Corrupt(source, $"header is not valid JSON: {e.Message}");
        }
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Corrupt(source, "header is not a JSON object");
            }
            var tensors = new List<SafetensorsTensor>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == MetadataKey)
                {
                    ReadMetadata(entry.Value, metadata, source);
                    continue;
                }
                (SafetensorsDType dtype, long[] shape, long begin, long end) = ReadEntry(entry, source);
                if (end > dataLength)
                {
                    throw Corrupt(source, $"truncated: tensor '{entry.Name}' ends at byte {end} of the data section but only {dataLength} bytes follow the header");
                }
                long elements = 1;
                foreach (long dim in shape)
                {
                    elements *= dim;
                }
                if (elements * dtype.ElementSize() != end - begin)
                {
                    throw Corrupt(source, $"tensor '{entry.Name}': data_offsets span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {elements * dtype.ElementSize()}");
                }
                ranges.Add((begin, end, entry.Name));
                tensors.Add(new SafetensorsTensor(entry.Name, dtype, shape, bytes.AsMemory(dataStart + (int)begin, (int)(end - begin))));
            }
            ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (int i = 1; i < ranges.Count; i++)
            {
                if (ranges[i].Begin < ranges[i - 1].End)
                {
                    throw Corrupt(source, $"tensors '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap");
                }
            }
            return new SafetensorsFile(tensors, metadata);
        }
    }

    /// <summary>Writes the file (header padded with spaces to a multiple of 8 bytes, tensors in list order).</summary>
    public void Write(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        WriteTo(stream);
    }

    /// <summary>Writes the file to a stream.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (SafetensorsTensor tensor in Tensors)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in Metadata)
                {
                    json.WriteString(pair.Key, pair.Value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (SafetensorsTensor tensor in Tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToString());
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded)
        {
            buffer.WriteByte((byte)' ');
        }
        return buffer.ToArray();
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Corrupt(source, "__metadata__ is not an object");
        }
        foreach (JsonProperty pair in element.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
            {
                throw Corrupt(source, $"__metadata__.{pair.Name} is not a string");
            }
            metadata[pair.Name] = pair.Value.GetString()!;
        }
    }

    private static (SafetensorsDType DType, long[] Shape, long Begin, long End) ReadEntry(JsonProperty entry, string source)
    {
        string name = entry.Name;
        JsonElement value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Corrupt(source, $"tensor '{name}': header entry is not an object");
        }
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Corrupt(source, $"tensor '{name}': missing dtype");
        }
        if (!SafetensorsDTypeInfo.TryParse(dtypeElement.GetString(), out SafetensorsDType dtype))
        {
            throw Corrupt(source, $"tensor '{name}': unsupported dtype '{dtypeElement.GetString()}' (supported: F32, F16, I64, I32)");
        }
        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Corrupt(source, $"tensor '{name}': missing shape");
        }
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0)
            {
                throw Corrupt(source, $"tensor '{name}': shape has an invalid dimension {dim.GetRawText()}");
            }
            shape[i++] = d;
        }
        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Corrupt(source, $"tensor '{name}': data_offsets must be [begin, end]");
        }
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw Corrupt(source, $"tensor '{name}': invalid data_offsets {offsets.GetRawText()}");
        }
        return (dtype, shape, begin, end);
    }

    private static InvalidDataException Corrupt(string source, string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{source}: corrupt safetensors file: {what}"));
}
