using System.Buffers.Binary;
using System.Text;
using AdaDiff.Packaging.Safetensors;

namespace AdaDiff.Backends.TorchSharp.Tests;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("adadiff-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void WriteRead_F32F16AndMetadata_RoundTrips()
    {
        float[] values = [1.5f, -2.25f, 0f, 3.0e-3f, 65504f, -1e-7f];
        var f16 = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(f16.AsSpan(i * 2), (Half)values[i]);
        }
        var file = new SafetensorsFile(
            [
                SafetensorsTensor.FromSingles("a.weight", [2, 3], values),
                new SafetensorsTensor("b", SafetensorsDType.F16, [6], f16),
                SafetensorsTensor.FromSingles("scalar", [], [42f]),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });
        string path = Path.Combine(dir, "x.safetensors");
        file.Write(path);

        SafetensorsFile read = SafetensorsFile.Read(path);

        Assert.Equal(["a.weight", "b", "scalar"], read.Tensors.Select(t => t.Name));
        Assert.Equal([2L, 3L], read.ByName["a.weight"].Shape);
        Assert.Equal(values, read.ByName["a.weight"].ToSingles());
        Assert.Equal(values.Select(v => (float)(Half)v), read.ByName["b"].ToSingles());
        Assert.Equal([42f], read.ByName["scalar"].ToSingles());
        Assert.Equal("pt", read.Metadata["format"]);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path));
        Assert.Equal(0, headerLength % 8);
    }

    [Fact]
    public void Parse_FewerThanEightBytes_ThrowsTruncated()
    {
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse([1, 2, 3], "short.safetensors"));
        Assert.Contains("short.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderLongerThanFile_ThrowsTruncated()
    {
        byte[] bytes = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes[..20], "f"));
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DataCutShort_ThrowsNamingTensor()
    {
        byte[] bytes = Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "f"));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HeaderNotJson_ThrowsCorrupt()
    {
        byte[] bytes = Build("{\"w\": [oops", 0);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "f"));
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OffsetsDisagreeWithShape_ThrowsNamingTensor()
    {
        byte[] bytes = Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "f"));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("needs 12", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownDType_ThrowsNamingDType()
    {
        byte[] bytes = Build("{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "f"));
        Assert.Contains("C64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverlappingTensors_Throws()
    {
        byte[] bytes = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(bytes, "f"));
        Assert.Contains("overlap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Read(Path.Combine(dir, "none.safetensors")));
    }

    private static byte[] Build(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }
}
