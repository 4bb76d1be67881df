using System.CommandLine;
using System.CommandLine.Parsing;
using AdaDiff.Evaluation;
using AdaDiff.Tools;
using AdaDiff.Tools.Shared;

string commandText = FashionMnistModel.CommandText(args);
Command train = TrainCommand.Create(commandText), trainUem = TrainUemCommand.Create(commandText), prune = PruneCommand.Create(commandText), eval = EvalCommand.Create(Console.Out, Console.Error, args);
var root = new RootCommand("adadiff-tools: model tooling for AdaDiff.Grpc (init-model, train, train-uem, prune, export-onnx, eval)")
{
    InitModelCommand.Create(commandText), train, trainUem, prune, ExportOnnxCommand.Create(commandText), eval,
};
ParseResult parsed = root.Parse(args, ToolsCommandLine.Parser);
if (ToolsCommandLine.ReportErrors(parsed, Console.Error))
{
    return ToolsCommandLine.BadArguments;
}
// Long commands stop at a step boundary on SIGTERM (kill, a scheduler's stop) or Ctrl+C and write what they have;
// the others end as any process does.
using StopSignal? stop = IsWithin(parsed.CommandResult, train, trainUem, prune, eval) ? new StopSignal() : null;
try
{
    return await parsed.InvokeAsync(ToolsCommandLine.Invocation(Console.Out, Console.Error), stop?.Token ?? default);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"adadiff-tools: {e.Message}");
    return ToolsCommandLine.BadArguments;
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or TrainingDivergedException)
{
    Console.Error.WriteLine($"adadiff-tools: {e.Message}");
    return 1;
}

static bool IsWithin(CommandResult result, params Command[] commands)
{
    for (SymbolResult? r = result; r is not null; r = r.Parent)
    {
        if (r is CommandResult c && commands.Contains(c.Command))
        {
            return true;
        }
    }
    return false;
}
