using System.CommandLine;
using System.Globalization;
using AdaDiff.Benchmarks;

// adadiff-bench: backends on the same weights in one process, measured in alternation (ABAB) so that load from other
// processes hits them alike (BackendComparison), or ONNX Runtime's session settings side by side, each in a process of
// its own (SessionOptionsExperiment). Configurations: torchsharp and onnxruntime run passes in fused calls where the
// backend has them (the engine's plan); torchsharp-per-stage and onnxruntime-per-stage run one stage a call
// (PerStageBackend; for ONNX Runtime also without its fused sessions), as the engine did before passes were planned.
// Threshold, min layers and guidance default to the package's model.json (what a client gets by leaving them at 0).
//
//   dotnet run -c Release --project benchmarks/AdaDiff.Benchmarks -- [--configs torchsharp,onnxruntime] [--rounds 3] [--out docs/benchmarks]
//   dotnet run -c Release --project benchmarks/AdaDiff.Benchmarks -- --experiment ort-session-options [--variants a,b] [--rounds 3]

var package = new Option<string>("--package") { Description = "Model package", DefaultValueFactory = _ => "models/fashion-mnist-uvit" };
var threads = new Option<int>("--threads") { Description = "Intra-op threads of every backend", DefaultValueFactory = _ => 2 };
var steps = new Option<int>("--steps") { Description = "DDIM steps", DefaultValueFactory = _ => 20 };
var rounds = new Option<int>("--rounds") { Description = "Rounds (medians and ranges over them)", DefaultValueFactory = _ => 3 };
var configs = new Option<string>("--configs") { Description = $"Configurations, comma-separated: {BackendComparison.ConfigNames}", DefaultValueFactory = _ => "torchsharp,onnxruntime" };
var threshold = new Option<float?>("--threshold") { Description = "Adaptive threshold (default: the package's)" };
var minLayers = new Option<int?>("--min-layers") { Description = "Min layers (default: the package's)" };
var guidance = new Option<float?>("--guidance") { Description = "Guidance scale (default: the package's)" };
var output = new Option<string?>("--out") { Description = "Prefix of the .md and .json written (default docs/benchmarks, or docs/experiments/ort-session-options)" };
var experiment = new Option<string?>("--experiment") { Description = "ort-session-options: ONNX Runtime's session settings side by side, each variant in a process of its own" };
var variants = new Option<string?>("--variants") { Description = "With --experiment: the variants to run besides the default, comma-separated (default: all)" };
var child = new Option<string?>("--child") { Description = "Internal: run one variant of the experiment in this process", Hidden = true };

var root = new RootCommand("Benchmark of AdaDiff's backends on the same weights, and ONNX Runtime's session settings side by side.")
{
    package, threads, steps, rounds, configs, threshold, minLayers, guidance, output, experiment, variants, child,
};
root.SetAction(async (parse, cancel) =>
{
    string pkg = parse.GetValue(package)!;
    int n = parse.GetValue(threads), s = parse.GetValue(steps), r = parse.GetValue(rounds);
    if (n < 1 || s < 1 || r < 1)
    {
        Console.Error.WriteLine("adadiff-bench: --threads, --steps and --rounds must be at least 1");
        return 2;
    }
    string command = "dotnet run -c Release --project benchmarks/AdaDiff.Benchmarks --" + string.Concat(args.Select(a => " " + a));
    if (parse.GetValue(child) is { } variant)
    {
        return await SessionOptionsExperiment.RunChild(variant, pkg, n, s);
    }
    switch (parse.GetValue(experiment))
    {
        case null:
            break;
        case "ort-session-options":
            return await SessionOptionsExperiment.Run(pkg, n, s, r, parse.GetValue(output) ?? "docs/experiments/ort-session-options", command, parse.GetValue(variants));
        case { } other:
            Console.Error.WriteLine($"adadiff-bench: --experiment: '{other}' is not one of ort-session-options");
            return 2;
    }
    string[] chosen = [.. parse.GetValue(configs)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    string[] unknown = [.. chosen.Where(c => !BackendComparison.ConfigNames.Split(", ").Contains(c))];
    if (chosen.Length == 0 || unknown.Length > 0)
    {
        Console.Error.WriteLine($"adadiff-bench: --configs: '{string.Join(",", unknown)}' is not among {BackendComparison.ConfigNames}");
        return 2;
    }
    return await BackendComparison.RunAsync(new ComparisonArgs(
        pkg, n, s, r, chosen, parse.GetValue(threshold), parse.GetValue(minLayers), parse.GetValue(guidance),
        parse.GetValue(output) ?? "docs/benchmarks", command));
});
return await root.Parse(args).InvokeAsync();
