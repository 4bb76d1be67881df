using System.CommandLine;
using System.Globalization;
using AdaDiff.Soak;

// adadiff-soak: the real server under --streams concurrent Generate streams for --minutes, sampled every --interval
// seconds (RSS, threads, fds from /proc; managed heap, working set, thread pool and the service's counters from
// /metrics); exit code 0 when nothing grew beyond 5% after the warm-up and no call failed, 1 when something did, 2 for
// bad options. Writes <out>.json, <out>.md and <out>.png.
var streams = new Option<int>("--streams") { Description = "Concurrent Generate streams", DefaultValueFactory = _ => 64 };
var minutes = new Option<double>("--minutes") { Description = "Minutes of load", DefaultValueFactory = _ => 10 };
var interval = new Option<double>("--interval") { Description = "Seconds between samples", DefaultValueFactory = _ => 10 };
var output = new Option<string>("--out") { Description = "Prefix of the reports: <out>.json, <out>.md, <out>.png", DefaultValueFactory = _ => "docs/soak" };
var serverDll = new Option<string>("--server-dll")
{
    Description = "The built server",
    DefaultValueFactory = _ => new SoakOptions().ServerDll,
};
var address = new Option<string>("--address") { Description = "The server's address: 127.0.0.1 only (the soak is a loopback tool)", DefaultValueFactory = _ => "127.0.0.1" };
var serverArgs = new Option<string[]>("--server-arg") { Description = "A further server flag, e.g. --server-arg=--AdaDiff:Backend=torchsharp (repeatable)", AllowMultipleArgumentsPerToken = false };
var seed = new Option<int>("--seed") { Description = "Base seed of the streams' requests", DefaultValueFactory = _ => 1 };

var root = new RootCommand("Soak of the AdaDiff server on loopback: resource growth and errors under sustained load.")
{
    streams, minutes, interval, output, serverDll, address, serverArgs, seed,
};
root.SetAction(async (parse, cancel) =>
{
    var options = new SoakOptions
    {
        Streams = parse.GetValue(streams),
        Minutes = parse.GetValue(minutes),
        IntervalSeconds = parse.GetValue(interval),
        Out = parse.GetValue(output)!,
        ServerDll = parse.GetValue(serverDll)!,
        Address = parse.GetValue(address)!,
        ServerArgs = parse.GetValue(serverArgs) ?? [],
        Seed = parse.GetValue(seed),
    };
    IReadOnlyList<string> problems = options.Problems();
    if (problems.Count > 0)
    {
        foreach (string problem in problems)
        {
            Console.Error.WriteLine($"adadiff-soak: {problem}");
        }
        return 2;
    }
    string command = "dotnet run -c Release --project benchmarks/AdaDiff.Soak --" + string.Concat(args.Select(a => " " + a));
    try
    {
        SoakResult result = await SoakRunner.RunAsync(options, Console.Out, cancel);
        Console.Write(Reports.Table(result));
        Reports.Write(result, command);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {options.Out}.json, {options.Out}.md, {options.Out}.png"));
        return result.Verdict.Passed ? 0 : 1;
    }
    catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or TimeoutException or HttpRequestException)
    {
        Console.Error.WriteLine($"adadiff-soak: {e.Message}");
        return 1;
    }
});
return await root.Parse(args).InvokeAsync();
