using Google.Protobuf;
using Onnx;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// Builds one ONNX graph node by node with the protobuf classes of OnnxSharp (namespace Onnx): every
/// helper adds a node and returns the name of its output. Float32 only; names are unique per graph.
/// </summary>
internal sealed class GraphBuilder
{
    private readonly GraphProto graph;
    private readonly HashSet<string> initializers = new(StringComparer.Ordinal);
    private int counter;

    public GraphBuilder(string name)
    {
        graph = new GraphProto { Name = name };
    }

    /// <summary>Declares a float or int64 input with symbolic ("B") or fixed dimensions.</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares an output, renaming <paramref name="value"/> through an Identity.</summary>
    public void Output(string name, string value, TensorProto.Types.DataType type, params object[] dims)
    {
        Node("Identity", [value], [name]);
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float32 initializer with the given shape.</summary>
    public string Constant(string name, ReadOnlySpan<float> values, params long[] shape)
    {
        if (!initializers.Add(name))
        {
            throw new InvalidOperationException($"initializer '{name}' defined twice");
        }
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 initializer (shapes, axes, indices); a scalar when <paramref name="shape"/> is empty.</summary>
    public string Int64s(ReadOnlySpan<long> values, params long[] shape)
    {
        string name = Fresh("i64");
        initializers.Add(name);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(shape.Length == 0 && values.Length != 1 ? [values.Length] : shape);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A 1-D int64 initializer.</summary>
    public string Vector(params long[] values) => Int64s(values, values.Length);

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(float value) => Constant(Fresh("f32"), [value]);

    /// <summary>Adds a node; returns its first output.</summary>
    public string Node(string op, string[] inputs, string[]? outputs = null, params AttributeProto[] attributes)
    {
        outputs ??= [Fresh(op)];
        var node = new NodeProto { OpType = op, Name = Fresh(op + "_node") };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return outputs[0];
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Vector(shape)]);

    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], null, Ints("perm", perm));

    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, null, Int("axis", axis));

    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", [x, Vector(axes)]);

    /// <summary>x[..., start:end, ...] on one axis.</summary>
    public string Slice(string x, long axis, long start, long end) =>
        Node("Slice", [x, Vector(start), Vector(end), Vector(axis)]);

    /// <summary>LayerNormalization over the last axis (opset 17), ε = 1e-5 as torch.nn.LayerNorm.</summary>
    public string LayerNorm(string x, string scale, string bias) =>
        Node("LayerNormalization", [x, scale, bias], null, Int("axis", -1), Float("epsilon", 1e-5f));

    /// <summary>The model proto: opset 17 of the default domain, IR version 8.</summary>
    public ModelProto Build(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "adadiff-tools export-onnx",
            ProducerVersion = "1",
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.Opset });
        return model;
    }

    private string Fresh(string prefix) => $"{prefix}_{counter++}";

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object dim in dims)
        {
            shape.Dim.Add(dim is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, System.Globalization.CultureInfo.InvariantCulture) });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
