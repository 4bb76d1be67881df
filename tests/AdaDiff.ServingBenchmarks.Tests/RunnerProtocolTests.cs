using AdaDiff.ServingBenchmarks;
using AdaDiff.ServingBenchmarks.Runner;

namespace AdaDiff.ServingBenchmarks.Tests;

/// <summary>The runner's wire format: requests and replies read back as written, other output is passed over, bad lines say what they were.</summary>
public sealed class RunnerProtocolTests
{
    private static readonly BenchSettings Settings = Synthetic.Result(Synthetic.Options(quick: true), Synthetic.Plausible).Settings;

    [Fact]
    public void Request_Measure_ReadsBackAsWritten()
    {
        var config = new BenchConfig { Path = BenchPath.InProcess, Backend = "torchsharp", Mode = "adaptive", Streams = 16, CallsPerStream = 2 };
        var request = new RunnerRequest { Op = RunnerOp.Measure, Settings = Settings, Config = config, Round = 2, SeedBase = 200_001 };

        string line = RunnerProtocol.Request(request);
        RunnerRequest back = RunnerProtocol.ParseRequest(line);

        Assert.DoesNotContain('\n', line);
        Assert.Equal(RunnerOp.Measure, back.Op);
        Assert.Equal(config, back.Config);
        Assert.Equal("inprocess/torchsharp/adaptive/16", back.Config!.Key);
        Assert.Equal((2, 200_001UL), (back.Round, back.SeedBase));
        Assert.Equal(Settings, back.Settings! with { Concurrency = Settings.Concurrency });
        Assert.Equal(Settings.Concurrency, back.Settings!.Concurrency);
    }

    [Fact]
    public void Reply_Measurement_ReadsBackWithItsNaNsAndCpu()
    {
        var m = new Measurement
        {
            Config = "inprocess/onnxruntime/full/1",
            Round = 1,
            WallSeconds = 0.5,
            Images = 2,
            ImagesPerSecond = 4,
            LatencyP50 = 0.25,
            StepSeconds = double.NaN,
            ServerCpuSeconds = 0.9,
            MachineCpuSeconds = 1.0,
            FirstError = "line one \"quoted\"",
        };

        string line = RunnerProtocol.Reply(new RunnerReply { Measurement = m, Seconds = 0.031 });
        RunnerReply back = RunnerProtocol.ParseReply(line)!;

        Assert.StartsWith(RunnerProtocol.Marker, line, StringComparison.Ordinal);
        Assert.Equal(m.Config, back.Measurement!.Config);
        Assert.Equal((0.25, 0.9, 1.0, 0.031), (back.Measurement.LatencyP50, back.Measurement.ServerCpuSeconds, back.Measurement.MachineCpuSeconds, back.Seconds));
        Assert.True(double.IsNaN(back.Measurement.StepSeconds));
        Assert.True(double.IsNaN(back.Measurement.ClientCpuSeconds));
        Assert.Equal(m.FirstError, back.Measurement.FirstError);
        Assert.Null(back.Error);
    }

    [Fact]
    public void Reply_ReadyLimitsAndError_ReadBack()
    {
        RunnerReply ready = RunnerProtocol.ParseReply(RunnerProtocol.Reply(new RunnerReply { Ready = "torchsharp", ProcessId = 4242 }))!;
        RunnerReply limits = RunnerProtocol.ParseReply(RunnerProtocol.Reply(new RunnerReply { Limits = new DerivedLimits(32, 32, "2 rows 123/s, 32 rows 287/s") }))!;
        RunnerReply error = RunnerProtocol.ParseReply(RunnerProtocol.Reply(new RunnerReply { Error = "InvalidOperationException: measure before start" }))!;

        Assert.Equal(("torchsharp", 4242), (ready.Ready, ready.ProcessId));
        Assert.True(double.IsNaN(ready.Seconds));
        Assert.Equal(new DerivedLimits(32, 32, "2 rows 123/s, 32 rows 287/s"), limits.Limits);
        Assert.Equal("InvalidOperationException: measure before start", error.Error);
    }

    [Fact]
    public void ParseReply_LineWithoutTheMarker_IsOtherOutput()
    {
        Assert.Null(RunnerProtocol.ParseReply("OMP: Info #276: omp_set_nested routine deprecated"));
        Assert.Null(RunnerProtocol.ParseReply("{\"error\":\"not marked\"}"));
    }

    [Fact]
    public void Parse_BadLines_SayWhatTheyWere()
    {
        var reply = Assert.Throws<FormatException>(() => RunnerProtocol.ParseReply(RunnerProtocol.Marker + "{\"seconds\": oops}"));
        var request = Assert.Throws<FormatException>(() => RunnerProtocol.ParseRequest("{\"op\":\"dance\"}"));
        var missing = Assert.Throws<FormatException>(() => RunnerProtocol.ParseRequest("{\"round\":1}"));

        Assert.Contains("not a runner reply", reply.Message, StringComparison.Ordinal);
        Assert.Contains("oops", reply.Message, StringComparison.Ordinal);
        Assert.Contains("{\"op\":\"dance\"}", request.Message, StringComparison.Ordinal);
        Assert.Contains("not a runner request", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseBusySeconds_ProcStatLine_SumsAllButIdleAndIowait()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice, in ticks of 1/100 s
        Assert.Equal(10 + 2 + 30 + 4 + 5 + 6, CpuClock.ParseBusySeconds("cpu  1000 200 3000 99999 7777 400 500 600 0 0") , 9);
        Assert.True(double.IsNaN(CpuClock.ParseBusySeconds("cpu0 1 2 3 4 5 6 7 8")));
        Assert.True(double.IsNaN(CpuClock.ParseBusySeconds("cpu 1 2 x 4 5 6 7 8")));
        Assert.True(double.IsNaN(CpuClock.ParseBusySeconds("")));
    }
}
