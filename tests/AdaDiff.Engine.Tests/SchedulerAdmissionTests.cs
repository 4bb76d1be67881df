using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Engine.Tests;

/// <summary>
/// When queued jobs join the batch, and that neither long nor short jobs starve the others. Every job has a class
/// label of its own (the model has 16 classes), so which jobs ran in which pass is read from the labels the backend
/// saw (<see cref="InstrumentedBackend.LabelsPerPass"/>), never from wall-clock time.
/// </summary>
public sealed class SchedulerAdmissionTests : IDisposable
{
    private readonly TorchSharpBackend backend = TinyModel.Backend(classes: 16);
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        timeout.Dispose();
        backend.Dispose();
    }

    private static GenerationRequest Request(int label, int steps, int images = 1, SamplerKind sampler = SamplerKind.Ddim, float guidance = 1f, ExitPolicySettings? exit = null) => new()
    {
        NumImages = images,
        Seed = (ulong)(1000 + label),
        Sampler = sampler,
        Steps = steps,
        ClassLabel = label,
        GuidanceScale = guidance,
        Exit = exit ?? ExitPolicySettings.Full,
    };

    /// <summary>Indices of the passes that had a row of <paramref name="label"/>; read once the worker has stopped.</summary>
    private static List<int> PassesWith(InstrumentedBackend held, int label)
    {
        List<int> passes = [];
        for (int i = 0; i < held.LabelsPerPass.Count; i++)
        {
            if (held.LabelsPerPass[i].Contains(label))
            {
                passes.Add(i);
            }
        }
        return passes;
    }

    /// <summary>The job ran in <paramref name="steps"/> passes in a row, from its first: never left out of one.</summary>
    private static void AssertInEveryPassFromItsFirst(List<int> passes, int steps, string job)
    {
        Assert.True(passes.Count == steps, $"{job} ran in {passes.Count} passes, not {steps}");
        Assert.True(passes[^1] - passes[0] == steps - 1, $"{job} ran in passes {passes[0]}..{passes[^1]}: it was left out of some");
    }

    private async Task<int> ReadSteps(GenerationJob job, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Assert.IsType<StepCompleted>(await job.Events.ReadAsync(timeout.Token));
        }
        return count;
    }

    [Fact]
    public async Task JobsQueuedDuringAPass_TakeTheirFirstStepInTheNextPass_ThenOneInEveryPass()
    {
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions());
        GenerationJob running = scheduler.TryEnqueue(Request(0, 1000, sampler: SamplerKind.Ddpm), timeout.Token)!;
        await ReadSteps(running, 3);
        // Held at the start of a pass whose batch is already gathered: the newcomers arrive while it runs.
        InstrumentedBackend.PassHold hold = held.HoldNext();
        await hold.Reached.WaitAsync(timeout.Token);
        int heldPass = held.Passes - 1;
        GenerationJob one = scheduler.TryEnqueue(Request(1, 20), timeout.Token)!;
        GenerationJob guided = scheduler.TryEnqueue(Request(2, 10, images: 2, sampler: SamplerKind.DpmSolverPP2M, guidance: 3f), timeout.Token)!;
        GenerationJob three = scheduler.TryEnqueue(Request(3, 15, images: 3, exit: new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 2)), timeout.Token)!;
        Assert.Equal(3, scheduler.QueueDepth);
        hold.Release();
        await Task.WhenAll(
            GenerationRunner.CollectAsync(one, timeout.Token),
            GenerationRunner.CollectAsync(guided, timeout.Token),
            GenerationRunner.CollectAsync(three, timeout.Token));
        await scheduler.DisposeAsync();

        Assert.False(timeout.IsCancellationRequested);
        foreach ((int label, int steps) in new[] { (1, 20), (2, 10), (3, 15) })
        {
            List<int> passes = PassesWith(held, label);
            Assert.Equal(heldPass + 1, passes[0]); // the first step one tick after arriving
            AssertInEveryPassFromItsFirst(passes, steps, $"job of class {label}");
        }
        List<int> longPasses = PassesWith(held, 0);
        Assert.Equal(0, longPasses[0]);
        AssertInEveryPassFromItsFirst(longPasses, longPasses.Count, "the running job");
        Assert.Equal(1 + 1 + 4 + 3, held.LabelsPerPass[heldPass + 1].Length);
    }

    [Fact]
    public async Task LongJobs_HoldAtMostTheirShareOfRows_ShortJobsStartAtOnceAndFinishWhileTheyRun()
    {
        var held = new InstrumentedBackend(backend);
        // 8 rows per pass; jobs of more than 100 steps are long and hold at most 4 rows together.
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 8, LongJobRows = 4 });
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        var longJobs = new List<GenerationJob> { scheduler.TryEnqueue(Request(0, 1000, sampler: SamplerKind.Ddpm), timeout.Token)! };
        await hold.Reached.WaitAsync(timeout.Token);
        for (int label = 1; label < 6; label++)
        {
            longJobs.Add(scheduler.TryEnqueue(Request(label, 1000, sampler: SamplerKind.Ddpm), timeout.Token)!);
        }
        GenerationJob[] shortJobs = [.. Enumerable.Range(6, 3).Select(label => scheduler.TryEnqueue(Request(label, 20), timeout.Token)!)];
        hold.Release();
        await Task.WhenAll(shortJobs.Select(job => GenerationRunner.CollectAsync(job, timeout.Token)));
        Assert.All(longJobs, job => Assert.False(job.IsFinished));
        Assert.Equal(2, scheduler.QueueDepth); // the fifth and sixth long jobs wait for a long one to end
        await scheduler.DisposeAsync();

        for (int label = 6; label < 9; label++)
        {
            List<int> passes = PassesWith(held, label);
            Assert.Equal(1, passes[0]); // queued behind six long jobs, yet in the first pass after arriving
            AssertInEveryPassFromItsFirst(passes, 20, $"short job {label}");
        }
        for (int label = 1; label < 4; label++)
        {
            Assert.Equal(1, PassesWith(held, label)[0]);
        }
        Assert.Empty(PassesWith(held, 4));
        Assert.Empty(PassesWith(held, 5));
        Assert.All(held.LabelsPerPass, labels => Assert.True(labels.Count(l => l < 6) <= 4, "long jobs held more than their share"));
        Assert.Equal(7, held.LabelsPerPass[1].Length); // the short jobs use rows beyond the long share
    }

    [Fact]
    public async Task LongJobs_LeaveTheLongShareWhenAtMostLongJobStepsRemain_TheNextLongJobsJoin()
    {
        var held = new InstrumentedBackend(backend);
        // Jobs of 30 steps are long while more than 10 remain; together they hold at most 4 of 8 rows.
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 8, LongJobSteps = 10, LongJobRows = 4 });
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        var jobs = new List<GenerationJob> { scheduler.TryEnqueue(Request(0, 30), timeout.Token)! };
        await hold.Reached.WaitAsync(timeout.Token);
        for (int label = 1; label < 6; label++)
        {
            jobs.Add(scheduler.TryEnqueue(Request(label, 30), timeout.Token)!);
        }
        hold.Release();
        await Task.WhenAll(jobs.Select(job => GenerationRunner.CollectAsync(job, timeout.Token)));
        await scheduler.DisposeAsync();

        // Job 0 ran pass 0 alone, jobs 1–3 joined at pass 1. Before pass 20, job 0 has 10 steps left (no longer
        // long): job 4 joins. Before pass 21, jobs 1–3 have 10 left: job 5 joins beside job 4.
        int[] firstPass = [.. Enumerable.Range(0, 6).Select(label => PassesWith(held, label)[0])];
        Assert.Equal([0, 1, 1, 1, 20, 21], firstPass);
        for (int label = 0; label < 6; label++)
        {
            AssertInEveryPassFromItsFirst(PassesWith(held, label), 30, $"job {label}");
        }
    }

    [Fact]
    public async Task ManyShortJobs_DoNotOvertakeALongJobWaitingForRows_WhichThenRunsInEveryPass()
    {
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 4, LongJobRows = 2 });
        // Four short jobs fill the 4 rows and end one after another (6, 8, 10, 12 steps); the long job (2 rows) is
        // queued behind them, then six more short ones. A single row that frees does not fit the long job: the short
        // jobs behind it wait rather than take it, or they would keep it out for as long as they keep coming.
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        var jobs = new List<GenerationJob> { scheduler.TryEnqueue(Request(0, 6), timeout.Token)! };
        await hold.Reached.WaitAsync(timeout.Token);
        jobs.Add(scheduler.TryEnqueue(Request(1, 8), timeout.Token)!);
        jobs.Add(scheduler.TryEnqueue(Request(2, 10), timeout.Token)!);
        jobs.Add(scheduler.TryEnqueue(Request(3, 12), timeout.Token)!);
        GenerationJob longJob = scheduler.TryEnqueue(Request(4, 150, images: 2), timeout.Token)!;
        for (int label = 5; label < 11; label++)
        {
            jobs.Add(scheduler.TryEnqueue(Request(label, 5), timeout.Token)!);
        }
        hold.Release();
        await Task.WhenAll(jobs.Select(job => GenerationRunner.CollectAsync(job, timeout.Token)));
        GenerationRun longRun = await GenerationRunner.CollectAsync(longJob, timeout.Token);
        await scheduler.DisposeAsync();

        Assert.Equal(150, longRun.Steps.Count);
        List<int> longPasses = PassesWith(held, 4);
        // Job 1 (8 steps, passes 1–8) frees the second row: the long job starts at pass 9.
        Assert.Equal(9, longPasses[0]);
        AssertInEveryPassFromItsFirst(longPasses, 150, "the long job");
        for (int label = 5; label < 11; label++)
        {
            List<int> passes = PassesWith(held, label);
            Assert.True(passes[0] > longPasses[0], $"short job {label} started at pass {passes[0]}, before the long job queued ahead of it");
            AssertInEveryPassFromItsFirst(passes, 5, $"short job {label}");
        }
        Assert.All(held.LabelsPerPass, labels => Assert.True(labels.Length <= 4));
    }

    [Fact]
    public async Task LongJobRowsUnset_LongJobsMayTakeEveryRow()
    {
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 4 });
        Assert.Equal(4, scheduler.Options.EffectiveLongJobRows);
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        var jobs = new List<GenerationJob> { scheduler.TryEnqueue(Request(0, 150), timeout.Token)! };
        await hold.Reached.WaitAsync(timeout.Token);
        for (int label = 1; label < 4; label++)
        {
            jobs.Add(scheduler.TryEnqueue(Request(label, 150), timeout.Token)!);
        }
        hold.Release();
        await Task.WhenAll(jobs.Select(job => GenerationRunner.CollectAsync(job, timeout.Token)));
        await scheduler.DisposeAsync();

        Assert.Equal([0, 1, 1, 1], [.. Enumerable.Range(0, 4).Select(label => PassesWith(held, label)[0])]);
        Assert.Equal(151, held.Passes);
    }

    [Fact]
    public async Task MaxActiveJobs_StillBoundsJobsBesideTheRows()
    {
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 16, MaxActiveJobs = 2 });
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        var jobs = new List<GenerationJob> { scheduler.TryEnqueue(Request(0, 5), timeout.Token)! };
        await hold.Reached.WaitAsync(timeout.Token);
        jobs.Add(scheduler.TryEnqueue(Request(1, 5), timeout.Token)!);
        jobs.Add(scheduler.TryEnqueue(Request(2, 5), timeout.Token)!);
        hold.Release();
        await Task.WhenAll(jobs.Select(job => GenerationRunner.CollectAsync(job, timeout.Token)));
        await scheduler.DisposeAsync();

        Assert.Equal([0, 1, 5], [.. Enumerable.Range(0, 3).Select(label => PassesWith(held, label)[0])]);
        Assert.All(held.LabelsPerPass, labels => Assert.True(labels.Length <= 2));
    }
}
