using System.Diagnostics;
using System.Globalization;
using AdaDiff.Benchmarks.Shared;
using AdaDiff.ServingBenchmarks.Runner;

namespace AdaDiff.ServingBenchmarks;

/// <summary>
/// The measured part of a run: each round runs every configuration once, in <see cref="BenchPlan.Order"/>, on its path
/// (server, in-process, PyTorch), and ends with the peak probe and the denoiser passes.
/// </summary>
internal sealed class RoundRunner(BenchRig rig, PyTorchRunner? pytorch, BenchSettings settings, BenchOptions options, int imageSize, Stopwatch clock, TextWriter log)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the rounds; returns every configuration's measurement of every round and each round's probe.</summary>
    public async Task<(List<Measurement> Measurements, List<ProbeMeasurement> Probes)> RunAsync(IReadOnlyList<BenchConfig> configs, CancellationToken cancel)
    {
        var measurements = new List<Measurement>();
        var probes = new List<ProbeMeasurement>();
        double roundsStarted = clock.Elapsed.TotalSeconds;
        for (int round = 0; round < settings.Rounds; round++)
        {
            ulong seedBase = 1 + (ulong)round * 100_000; // the same seeds on every path of a round: the same exits, the same work
            IReadOnlyList<BenchConfig> order = BenchPlan.Order(configs, round);
            for (int i = 0; i < order.Count; i++)
            {
                Measurement m = await MeasureAsync(order[i], round, seedBase, cancel);
                measurements.Add(m);
                rig.EnsureServersRunning();
                log.WriteLine(BenchRunner.Progress(round, settings.Rounds, i, order.Count, m));
            }
            probes.Add(await ProbeAsync(round, cancel));
            double perRound = (clock.Elapsed.TotalSeconds - roundsStarted) / (round + 1);
            log.WriteLine(string.Create(Inv,
                $"bench: round {round + 1}/{settings.Rounds} done at {clock.Elapsed.TotalMinutes:F1} min; {perRound:F0} s a round, about {perRound * (settings.Rounds - round - 1) / 60:F1} min left"));
        }
        return (measurements, probes);
    }

    /// <summary>One configuration once, on its path.</summary>
    private async Task<Measurement> MeasureAsync(BenchConfig config, int round, ulong seedBase, CancellationToken cancel) => config.Path switch
    {
        BenchPath.PyTorch => await pytorch!.RunAsync(config, settings, options.Package, round, seedBase, BenchRunner.LoadAverage, cancel),
        _ => await MeasureServedAsync(rig, config, settings, imageSize, round, seedBase, cancel),
    };

    /// <summary>
    /// A server or in-process configuration once, with the CPU it cost: for the server path the server process's and
    /// this process's (the client), for the in-process path the runner's (it measures itself); the machine's busy time
    /// around both.
    /// </summary>
    internal static async Task<Measurement> MeasureServedAsync(BenchRig rig, BenchConfig config, BenchSettings settings, int imageSize, int round, ulong seedBase, CancellationToken cancel)
    {
        if (config.Path == BenchPath.InProcess)
        {
            RunnerReply reply = await rig.Runners[config.Backend].RequestAsync(
                new RunnerRequest { Op = RunnerOp.Measure, Settings = settings, Config = config, Round = round, SeedBase = seedBase }, cancel);
            return reply.Measurement ?? throw new InvalidOperationException($"the {config.Backend} runner's reply to {config.Key} held no measurement");
        }
        LoopbackServer server = rig.Servers[config.Backend];
        double serverCpu = server.CpuSeconds;
        double clientCpu = CpuClock.Self();
        double busy = CpuClock.MachineBusy();
        Measurement m = await LoadGenerator.RunAsync(rig.Clients[config.Backend], config, settings, imageSize, round, seedBase, BenchRunner.LoadAverage, cancel);
        return m with
        {
            ServerCpuSeconds = server.CpuSeconds - serverCpu,
            ClientCpuSeconds = CpuClock.Self() - clientCpu,
            MachineCpuSeconds = CpuClock.MachineBusy() - busy,
        };
    }

    /// <summary>The matmul peak and each backend's full-depth pass of <see cref="BenchSettings.PassRows"/> rows, in this round.</summary>
    private async Task<ProbeMeasurement> ProbeAsync(int round, CancellationToken cancel)
    {
        bool quick = options.Quick;
        (double peak, double median) = rig.Probe!.Measure(quick ? 5 : 20);
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var gflops = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach ((string name, RunnerProcess runner) in rig.Runners)
        {
            RunnerReply reply = await runner.RequestAsync(new RunnerRequest { Op = RunnerOp.Pass, Settings = settings, Rows = settings.PassRows, Count = quick ? 1 : 2 }, cancel);
            double s = reply.Seconds;
            seconds[name] = s;
            gflops[name] = settings.PassRows * settings.FlopsPerRow / s / 1e9;
        }
        log.WriteLine(string.Create(Inv,
            $"bench: probe: matmul {settings.MatmulSize}² peak {peak:F0} GFLOP/s (median {median:F0}); {string.Join(", ", gflops.Select(g => $"{g.Key} {settings.PassRows} rows {seconds[g.Key] * 1000:F1} ms/step = {g.Value:F0} GFLOP/s ({g.Value / peak:P0} of peak)"))}"));
        return new ProbeMeasurement { Round = round, MatmulPeakGflops = peak, MatmulMedianGflops = median, PassSeconds = seconds, PassGflops = gflops };
    }
}
