using AdaDiff.Evaluation;
using AdaDiff.Tools;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.Error.WriteLine("usage: adadiff-tools <command> [options]");
    Console.Error.WriteLine("  " + InitModelCommand.Usage);
    Console.Error.WriteLine("  " + TrainCommand.Usage);
    Console.Error.WriteLine("  " + TrainUemCommand.Usage);
    Console.Error.WriteLine("  " + ExportOnnxCommand.Usage);
    Console.Error.WriteLine("  eval [options]                    (adadiff-tools eval --help)");
    return args.Length == 0 ? 2 : 0;
}
try
{
    return args[0] switch
    {
        "init-model" => InitModelCommand.Run(args),
        "train" => TrainCommand.Run(args),
        "train-uem" => TrainUemCommand.Run(args),
        "export-onnx" => ExportOnnxCommand.Run(args),
        "eval" => await RunEvalAsync(args[1..]),
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

// Ctrl+C stops an evaluation between batches instead of killing the process mid-write.
static async Task<int> RunEvalAsync(string[] args)
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await EvalCommand.RunAsync(args, cancel.Token);
}
