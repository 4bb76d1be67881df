using System.Text.Json;

namespace AdaDiff.Cli.Internal;

/// <summary>Writes a JSON array of items, the one loop behind the arrays of the JSON events and of stats.json.</summary>
internal static class JsonArrays
{
    /// <summary>An array as the property <paramref name="name"/> of the object being written.</summary>
    public static void Write<T>(Utf8JsonWriter w, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem)
    {
        w.WriteStartArray(name);
        WriteItems(w, items, writeItem);
        w.WriteEndArray();
    }

    /// <summary>An array as the next value of the array being written.</summary>
    public static void WriteValue<T>(Utf8JsonWriter w, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem)
    {
        w.WriteStartArray();
        WriteItems(w, items, writeItem);
        w.WriteEndArray();
    }

    /// <summary>The property <paramref name="name"/> as an array of strings.</summary>
    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> items) =>
        Write(w, name, items, static (w, s) => w.WriteStringValue(s));

    /// <summary>The property <paramref name="name"/> as an array of layer numbers.</summary>
    public static void WriteLayers(Utf8JsonWriter w, string name, IEnumerable<uint> layers) =>
        Write(w, name, layers, static (w, layer) => w.WriteNumberValue(layer));

    private static void WriteItems<T>(Utf8JsonWriter w, IEnumerable<T> items, Action<Utf8JsonWriter, T> writeItem)
    {
        foreach (T item in items)
        {
            writeItem(w, item);
        }
    }
}
