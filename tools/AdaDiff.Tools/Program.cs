using AdaDiff.Tools;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Error.WriteLine("usage: adadiff-tools <command> [options]");
    Console.Error.WriteLine("  " + InitModelCommand.Usage);
    Console.Error.WriteLine("  " + TrainCommand.Usage);
    Console.Error.WriteLine("  " + ExportOnnxCommand.Usage);
    return args.Length == 0 ? 2 : 0;
}
try
{
    return args[0] switch
    {
        "init-model" => InitModelCommand.Run(args),
        "train" => TrainCommand.Run(args),
        "export-onnx" => ExportOnnxCommand.Run(args),
        _ => throw new ArgumentException($"unknown command '{args[0]}'"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"adadiff-tools: {e.Message}");
    return 2;
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"adadiff-tools: {e.Message}");
    return 1;
}
