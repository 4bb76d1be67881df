using System.CommandLine;
using System.Globalization;
using AdaDiff.ServingBenchmarks;
using AdaDiff.ServingBenchmarks.Runner;

// adadiff-serving-bench: images/s, latency per call and time to first step against concurrent streams through the real
// server (both backends, full depth and adaptive), the same work in-process, the PyTorch reference (fairly
// configured), previews' cost and the denoiser's GFLOP/s against the matmul peak, interleaved over rounds. Writes
// <out>.json, <out>-{throughput,latency,ttfs}.png and the serving section of the markdown file; progress on stderr,
// the summary and the targets (met/missed) on stdout. Exit code 0 when it ran (targets are figures, not tests), 1 when
// it could not (a server that does not start, a failed PyTorch check with --pytorch fair), 2 for bad options.
//
//   dotnet build benchmarks/AdaDiff.ServingBenchmarks -c Release      (builds the server too)
//   dotnet run -c Release --project benchmarks/AdaDiff.ServingBenchmarks --no-build -- [--quick] [options]
var quick = new Option<bool>("--quick") { Description = "One round, few calls, 1 and 4 streams: checks that the benchmark works (writes under build/serving-benchmarks-quick/)" };
var rounds = new Option<int?>("--rounds") { Description = "Rounds (default 3, 1 with --quick)" };
var concurrency = new Option<string?>("--concurrency") { Description = "Concurrent streams, comma-separated (default 1,4,16,64; 1,4 with --quick)" };
var backendsOption = new Option<string>("--backends") { Description = "Backends, comma-separated", DefaultValueFactory = _ => "onnxruntime,torchsharp" };
var previewStreams = new Option<int?>("--preview-streams") { Description = "Streams of the configuration with x̂₀ previews every step, 0 for none (default 16, or the largest concurrency)" };
var threads = new Option<int?>("--threads") { Description = "Intra-op threads of every backend (default: the processor count)" };
var maxActive = new Option<int?>("--max-active-jobs") { Description = "The scheduler's MaxActiveJobs for the servers and in-process (default: the built server's appsettings.json)" };
var maxRows = new Option<int?>("--max-batch-rows") { Description = "MaxBatchRows, likewise" };
var maxQueued = new Option<int?>("--max-queued-jobs") { Description = "MaxQueuedJobs, likewise" };
var maxUnread = new Option<int>("--max-unread-events") { Description = "MaxUnreadEventsPerStream, likewise", DefaultValueFactory = _ => 8 };
var steps = new Option<int>("--steps") { Description = "DDIM steps", DefaultValueFactory = _ => 20 };
var pytorch = new Option<string>("--pytorch") { Description = "auto (fair when its check passes, else default, saying why), fair, default or none", DefaultValueFactory = _ => "auto" };
var output = new Option<string?>("--out") { Description = "Prefix of the JSON and PNG outputs (default docs/serving-benchmarks)" };
var markdown = new Option<string?>("--markdown") { Description = "Markdown file whose serving section is written, the rest kept (default docs/benchmarks.md)" };
var package = new Option<string>("--package") { Description = "Model package", DefaultValueFactory = _ => "models/fashion-mnist-uvit" };
var serverDll = new Option<string>("--server-dll") { Description = "The built server", DefaultValueFactory = _ => new BenchOptions().ServerDll };
var serverArgs = new Option<string[]>("--server-arg") { Description = "A further server flag (repeatable), e.g. --server-arg=--AdaDiff:Limits:MaxSendMessageBytes=33554432", AllowMultipleArgumentsPerToken = false };
var plan = new Option<bool>("--plan") { Description = "Print the configurations and the estimated runtime, run nothing" };
var reportFrom = new Option<string?>("--report-from") { Description = "Write the reports again from a run's JSON, run nothing" };

var root = new RootCommand("Serving benchmark of AdaDiff: the real server against concurrency, in-process, and the PyTorch reference.")
{
    quick, rounds, concurrency, backendsOption, previewStreams, threads, maxActive, maxRows, maxQueued, maxUnread, steps, pytorch,
    output, markdown, package, serverDll, serverArgs, plan, reportFrom,
};
// The in-process path of one backend, in a process of its own: the benchmark starts this itself (Runner/RunnerHost.cs).
var runnerBackend = new Option<string>("--backend") { Description = "onnxruntime or torchsharp", Required = true };
var runnerPackage = new Option<string>("--package") { Description = "Model package folder", Required = true };
var runnerThreads = new Option<int>("--threads") { Description = "Intra-op threads of the backend", Required = true };
var runner = new Command("runner", "Used by the benchmark itself: one backend's in-process measurements in a process that holds nothing else, JSON lines on stdin and stdout")
{
    runnerBackend, runnerPackage, runnerThreads,
};
runner.SetAction((parse, cancel) => RunnerHost.RunAsync(parse.GetValue(runnerBackend)!, Path.GetFullPath(parse.GetValue(runnerPackage)!), parse.GetValue(runnerThreads),
    Console.In, Console.Out, Console.Error, cancel));
root.Subcommands.Add(runner);
root.SetAction(async (parse, cancel) =>
{
    List<int>? streams = null;
    if (parse.GetValue(concurrency) is { } list)
    {
        streams = [];
        foreach (string part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                Console.Error.WriteLine($"adadiff-serving-bench: --concurrency: '{part}' is not a number");
                return 2;
            }
            streams.Add(n);
        }
    }
    if (!Enum.TryParse(parse.GetValue(pytorch), ignoreCase: true, out PyTorchChoice choice) || !Enum.IsDefined(choice))
    {
        Console.Error.WriteLine($"adadiff-serving-bench: --pytorch must be auto, fair, default or none; was {parse.GetValue(pytorch)}");
        return 2;
    }
    var options = new BenchOptions
    {
        Quick = parse.GetValue(quick),
        Rounds = parse.GetValue(rounds),
        Concurrency = streams?.Distinct().Order().ToList(),
        Backends = [.. parse.GetValue(backendsOption)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        PreviewStreams = parse.GetValue(previewStreams),
        Threads = parse.GetValue(threads),
        MaxActiveJobs = parse.GetValue(maxActive),
        MaxBatchRows = parse.GetValue(maxRows),
        MaxQueuedJobs = parse.GetValue(maxQueued),
        MaxUnreadEvents = parse.GetValue(maxUnread),
        Steps = parse.GetValue(steps),
        PyTorch = choice,
        Out = parse.GetValue(output),
        Markdown = parse.GetValue(markdown),
        Package = parse.GetValue(package)!,
        ServerDll = parse.GetValue(serverDll)!,
        ServerArgs = parse.GetValue(serverArgs) ?? [],
    };
    IReadOnlyList<string> problems = options.Problems();
    if (problems.Count > 0)
    {
        foreach (string problem in problems)
        {
            Console.Error.WriteLine($"adadiff-serving-bench: {problem}");
        }
        return 2;
    }
    string repo = RepositoryRoot();
    string Rooted(string path) => Path.IsPathRooted(path) ? path : Path.Combine(repo, path);

    if (parse.GetValue(reportFrom) is { } json)
    {
        BenchResult saved = ReportWriter.ReadResult(File.ReadAllText(Rooted(json)));
        ReportWriter.Written again = ReportWriter.Write(saved, Rooted(options.EffectiveOut), Rooted(options.EffectiveMarkdown));
        Console.Write(ReportWriter.ConsoleSummary(saved));
        Console.WriteLine($"wrote {again.Json}, {again.Markdown} and {again.Plots.Count} plots");
        return 0;
    }
    IReadOnlyList<BenchConfig> configs = BenchPlan.Configs(options);
    if (parse.GetValue(plan))
    {
        foreach (BenchConfig c in configs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Key,-44} {c.Images,4} images a round"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{configs.Count} configurations × {options.EffectiveRounds} rounds: estimated {BenchPlan.EstimateSeconds(configs, options.EffectiveRounds, options.Steps) / 60:F1} min on an idle {Environment.ProcessorCount}-core machine"));
        return 0;
    }

    string command = "dotnet run -c Release --project benchmarks/AdaDiff.ServingBenchmarks --" + string.Concat(args.Select(a => " " + a));
    try
    {
        BenchResult result = await BenchRunner.RunAsync(options, repo, command, Console.Error, cancel);
        ReportWriter.Written written = ReportWriter.Write(result, Rooted(options.EffectiveOut), Rooted(options.EffectiveMarkdown));
        Console.Write(ReportWriter.ConsoleSummary(result));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ran {result.TotalSeconds / 60:F1} min (estimated {result.EstimatedSeconds / 60:F1}); wrote {written.Json}, the serving section of {written.Markdown}, {string.Join(", ", written.Plots)}"));
        return 0;
    }
    catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or TimeoutException or HttpRequestException)
    {
        Console.Error.WriteLine($"adadiff-serving-bench: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();

static string RepositoryRoot()
{
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdaDiff.Grpc.sln")))
            {
                return dir.FullName;
            }
        }
    }
    return Directory.GetCurrentDirectory();
}
