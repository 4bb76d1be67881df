using System.Runtime.InteropServices;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Sampling;
using AdaDiff.Engine.Scheduling;

namespace AdaDiff.Engine.Tests;

public sealed class GenerationSchedulerTests : IDisposable
{
    private const int Depth = 5;
    private readonly TorchSharpBackend backend = TinyModel.Backend();
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));

    public void Dispose()
    {
        timeout.Dispose();
        backend.Dispose();
    }

    private static GenerationRequest Request(SamplerKind sampler, int steps, int images, ulong seed, int? label = 1, float guidance = 1f, ExitPolicySettings? exit = null) => new()
    {
        NumImages = images,
        Seed = seed,
        Sampler = sampler,
        Steps = steps,
        ClassLabel = label,
        GuidanceScale = guidance,
        Exit = exit ?? ExitPolicySettings.Full,
    };

    private async Task<List<StepCompleted>> ReadSteps(GenerationJob job, int count)
    {
        var steps = new List<StepCompleted>();
        while (steps.Count < count)
        {
            GenerationEvent e = await job.Events.ReadAsync(timeout.Token);
            steps.Add(Assert.IsType<StepCompleted>(e));
        }
        return steps;
    }

    [Fact]
    public async Task RunAsync_StepsInOrder_LatentsAndPreviewsOnRequestedSteps()
    {
        GenerationRequest request = Request(SamplerKind.Ddim, 7, 2, 40) with { LatentEveryNSteps = 3, PreviewEveryNSteps = 2 };

        GenerationRun run = await GenerationRunner.RunAsync(backend, request, timeout.Token);

        Sampler sampler = Sampler.Create(SamplerKind.Ddim, new NoiseSchedule(backend.Manifest.NoiseSchedule), 7, 1);
        Assert.Equal(Enumerable.Range(0, 7), run.Steps.Select(s => s.StepIndex));
        Assert.Equal(sampler.Timesteps.ToArray(), run.Steps.Select(s => s.Timestep));
        Assert.Equal([2, 5, 6], run.Steps.Where(s => s.Latent is not null).Select(s => s.StepIndex));
        Assert.Equal([1, 3, 5, 6], run.Steps.Where(s => s.PredictedX0 is not null).Select(s => s.StepIndex));
        Assert.All(run.Steps, s => Assert.Equal([Depth, Depth], s.ExitLayers));
        Assert.All(run.Steps, s => Assert.Equal(new ComputeTotals(2 * Depth, 2 * Depth, s.Compute.FlopsExecuted, 2 * backend.Manifest.Flops.FullForward), s.Compute));

        GenerationCompleted done = run.Completed;
        int length = 2 * backend.Manifest.ImageSize;
        Assert.Equal(length, done.Images.Length);
        Assert.All(done.Images, v => Assert.InRange(v, -1f, 1f));
        Assert.Equal(run.Steps[^1].Latent, done.Images);
        Assert.Equal([40UL, 41UL], done.Seeds);
        Assert.Equal([5f, 5f], done.MeanExitLayers);
        ComputeTotals sum = default;
        foreach (StepCompleted step in run.Steps)
        {
            sum += step.Compute;
        }
        Assert.Equal(sum, done.Compute);
        Assert.Equal(2L * Depth * 7, done.Compute.LayersFull);
        Assert.True(done.WallSeconds >= done.QueueSeconds);
    }

    [Fact]
    public async Task TryEnqueue_PolicyOfItsOwn_EachStepExitsWithinThatStepsBounds_AndMatchesThatFixedDepthStep()
    {
        int[] schedule = [2, 2, 3, 5, 1];
        // Exit names the served mode the policy stands beside; the policy decides, and Exit is not read.
        GenerationRequest request = Request(SamplerKind.Ddim, 5, 2, 40, guidance: 2f, exit: new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 0));

        GenerationRun run = await GenerationRunner.RunAsync(backend, request, new TestExitPolicies.StepDepths(schedule), timeout.Token);

        Assert.Equal(schedule, run.Steps.Select(s => s.ExitLayers[0]));
        Assert.All(run.Steps, s => Assert.Equal(s.ExitLayers[0], s.ExitLayers[1]));
        Assert.All(run.Steps, s => Assert.All(s.Certainties, c => Assert.True(float.IsNaN(c)))); // bounds without certainty: no head ran
        Assert.Equal(2L * schedule.Sum(), run.Completed.Compute.LayersExecuted);
        // The same depth at every step is static truncation: the same images as FIXED_DEPTH.
        GenerationRun constant = await GenerationRunner.RunAsync(backend, Request(SamplerKind.Ddim, 5, 2, 40), new TestExitPolicies.StepDepths(3, 3, 3, 3, 3), timeout.Token);
        GenerationRun fixed3 = await GenerationRunner.RunAsync(backend, Request(SamplerKind.Ddim, 5, 2, 40, exit: new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 3)), timeout.Token);
        Assert.Equal(fixed3.Completed.Images, constant.Completed.Images);
    }

    [Fact]
    public async Task TryEnqueue_PolicyThatCannotRunTheRequest_RefusedNamingExitAndItsField()
    {
        await using var scheduler = new GenerationScheduler(backend, new SchedulerOptions());
        GenerationRequest request = Request(SamplerKind.Ddim, 5, 1, 1);

        ArgumentException own = Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(request, new TestExitPolicies.StepDepths(2, 2, 3), default));
        ArgumentException bounds = Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(request, new TestExitPolicies.StepDepths(2, 2, 3, Depth + 1, 1), default));

        Assert.Equal("Exit.Depths", own.ParamName);
        Assert.Contains("3 depths for 5 steps", own.Message, StringComparison.Ordinal);
        Assert.Equal("Exit", bounds.ParamName);
        Assert.Contains($"step 3 exits in layers {Depth + 1}..{Depth + 1}", bounds.Message, StringComparison.Ordinal);
        Assert.Equal(0, scheduler.QueueDepth);
    }

    [Fact]
    public async Task SameSeed_AloneAndInsideBatchWithOtherJobsAtOtherTimesteps_SameImage()
    {
        var exit = new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 3);
        GenerationRequest target = Request(SamplerKind.Ddpm, 40, 2, 100, label: 2, exit: exit);
        GenerationRun alone = await GenerationRunner.RunAsync(backend, target, timeout.Token);
        GenerationRun secondImageAlone = await GenerationRunner.RunAsync(backend, target with { NumImages = 1, Seed = 101 }, timeout.Token);

        var observer = new RecordingObserver();
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions(), observer);
        // The other job runs 5 steps, then the worker is held at its 6th pass until both newcomers are queued:
        // they join it mid-run however fast the machine is.
        InstrumentedBackend.PassHold hold = held.HoldAt(5);
        GenerationJob other = scheduler.TryEnqueue(Request(SamplerKind.Ddim, 400, 3, 7, label: 0, guidance: 2f), timeout.Token)!;
        List<StepCompleted> early = await ReadSteps(other, 5);
        await hold.Reached.WaitAsync(timeout.Token);
        GenerationJob sameSeedOtherSettings = scheduler.TryEnqueue(Request(SamplerKind.DpmSolverPP2M, 10, 1, 100, label: null), timeout.Token)!;
        GenerationJob job = scheduler.TryEnqueue(target, timeout.Token)!;
        hold.Release();
        GenerationRun shared = await GenerationRunner.CollectAsync(job, timeout.Token);
        GenerationRun otherRun = await GenerationRunner.CollectAsync(other, timeout.Token);
        await GenerationRunner.CollectAsync(sameSeedOtherSettings, timeout.Token);

        // From the 7th pass on, the target shared passes with the guided job (6 rows, at other timesteps) and the third.
        int none = backend.Manifest.NullClass;
        Assert.Equal([0, 0, 0, none, none, none], held.LabelsPerPass[5].Order());
        Assert.Equal(6 + 1 + 2, held.LabelsPerPass[6].Length);
        Assert.Equal(6 + 1 + 2, observer.MaxRows);
        Assert.NotEqual(early[^1].Timestep, shared.Steps[0].Timestep);
        AssertSameBytes(alone.Completed.Images, shared.Completed.Images, "the images");
        for (int i = 0; i < alone.Steps.Count; i++)
        {
            Assert.Equal(alone.Steps[i].ExitLayers, shared.Steps[i].ExitLayers);
        }
        // Image k of a request is the image of seed Seed + k.
        int size = backend.Manifest.ImageSize;
        // Not byte for byte: alone, the one image's ε comes from a one-row call of the TorchSharp head, which differs
        // from a call of two or more rows in the last bits (about 1e-7).
        Assert.True(Floats.MaxAbsDiff(secondImageAlone.Completed.Images, alone.Completed.Images.AsSpan(size, size)) < 1e-5f);
        Assert.True(Floats.MaxAbsDiff(alone.Completed.Images.AsSpan(0, size), alone.Completed.Images.AsSpan(size, size)) > 0.1f);
        Assert.Equal(400, otherRun.Steps.Count + early.Count);
        Assert.Equal(3, observer.Completed);
    }

    [Fact]
    public async Task SameSeed_InMixedBatchesWithJobsJoiningAndLeaving_ByteIdenticalImagesAndExitsToEachJobAlone()
    {
        // Every sampler, exit mode, guidance on and off, conditional and not, one to three images; three share a seed.
        // Each job's head calls have two rows or more (a guided image has two, and unguided images of a job leave at
        // one depth here): the TorchSharp head run on a single row differs from the same row among others in the last
        // bits, so a one-row job would match itself alone only when no other row left at its layer.
        // Jobs 3 and 4 bring exit policies of their own (a job-wide decision, a depth per step), as the evaluation does.
        GenerationRequest[] requests =
        [
            Request(SamplerKind.Ddpm, 40, 2, 100, label: 2, guidance: 3f, exit: new ExitPolicySettings(ExitMode.Adaptive, 0.55f, 2, 0)),
            Request(SamplerKind.Ddim, 12, 2, 100, label: null),
            Request(SamplerKind.DpmSolverPP2M, 8, 3, 7, label: 0, exit: new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 3)),
            Request(SamplerKind.Ddim, 20, 1, 55, label: 1, guidance: 2f),
            Request(SamplerKind.Ddpm, 25, 2, 9, label: 1),
            Request(SamplerKind.DpmSolverPP2M, 6, 1, 100, label: 0, guidance: 5f, exit: new ExitPolicySettings(ExitMode.Adaptive, 0.5f, 3, 0)),
        ];
        IExitPolicy?[] policies =
        [
            null, null, null,
            new TestExitPolicies.GroupMean(0.6f, 1),
            new TestExitPolicies.StepDepths([.. Enumerable.Range(0, 25).Select(k => 1 + (k % Depth))]),
            null,
        ];
        GenerationJob Enqueue(GenerationScheduler scheduler, int i) => (policies[i] is { } policy
            ? scheduler.TryEnqueue(requests[i], policy, timeout.Token)
            : scheduler.TryEnqueue(requests[i], timeout.Token))!;
        var alone = new GenerationRun[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            alone[i] = await GenerationRunner.RunAsync(backend, requests[i], policies[i], timeout.Token);
        }

        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions());
        var jobs = new GenerationJob[requests.Length];
        var shared = new Task<GenerationRun>[requests.Length];
        async Task JoinWhileAPassRuns(InstrumentedBackend.PassHold hold, params int[] which)
        {
            // The newcomers arrive while a pass runs, so they join the others mid-run at other timesteps.
            await hold.Reached.WaitAsync(timeout.Token);
            foreach (int i in which)
            {
                jobs[i] = Enqueue(scheduler, i);
                shared[i] = GenerationRunner.CollectAsync(jobs[i], timeout.Token);
            }
            hold.Release();
        }
        InstrumentedBackend.PassHold sixth = held.HoldAt(5);
        jobs[0] = Enqueue(scheduler, 0);
        jobs[1] = Enqueue(scheduler, 1);
        shared[0] = GenerationRunner.CollectAsync(jobs[0], timeout.Token);
        shared[1] = GenerationRunner.CollectAsync(jobs[1], timeout.Token);
        await JoinWhileAPassRuns(sixth, 2, 3);
        await shared[1];
        await shared[2];
        await JoinWhileAPassRuns(held.HoldNext(), 4, 5); // after two have left
        GenerationRun[] runs = await Task.WhenAll(shared);
        await scheduler.DisposeAsync();

        for (int i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i].Steps.Count, runs[i].Steps.Count);
            for (int step = 0; step < alone[i].Steps.Count; step++)
            {
                Assert.Equal(alone[i].Steps[step].Timestep, runs[i].Steps[step].Timestep);
                Assert.Equal(alone[i].Steps[step].ExitLayers, runs[i].Steps[step].ExitLayers);
                AssertSameBytes(alone[i].Steps[step].Certainties, runs[i].Steps[step].Certainties, $"job {i} step {step} certainties");
            }
            AssertSameBytes(alone[i].Completed.Images, runs[i].Completed.Images, $"job {i} images");
            Assert.Equal(alone[i].Completed.Compute.LayersExecuted, runs[i].Completed.Compute.LayersExecuted);
        }
        // The batches were mixed: passes of several jobs at once, more rows than any job alone.
        Assert.Equal(4 + 2 + 3 + 2, held.LabelsPerPass[6].Length); // jobs 0–3 in one pass
        Assert.True(held.Passes < requests.Sum(r => r.Steps), "the jobs never shared passes");
        // The adaptive jobs did exit early, at layers that differ between steps: the exits were decided, not fixed.
        Assert.Contains(runs[0].Steps, step => step.ExitLayers.Any(layer => layer < Depth));
        Assert.True(runs[0].Steps.SelectMany(step => step.ExitLayers).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Cancel_StopsThatJob_OthersContinue()
    {
        var observer = new RecordingObserver();
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions(), observer);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        // Held at the 4th pass: the doomed job has run exactly 3 steps when it is cancelled.
        InstrumentedBackend.PassHold hold = held.HoldAt(3);
        GenerationJob doomed = scheduler.TryEnqueue(Request(SamplerKind.Ddpm, 1000, 2, 1), cancel.Token)!;
        GenerationJob survivor = scheduler.TryEnqueue(Request(SamplerKind.Ddim, 30, 1, 2), timeout.Token)!;

        await ReadSteps(doomed, 3);
        await hold.Reached.WaitAsync(timeout.Token);
        await cancel.CancelAsync();
        hold.Release();
        var drained = new List<GenerationEvent>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (GenerationEvent e in doomed.Events.ReadAllAsync(timeout.Token))
            {
                drained.Add(e);
            }
        });
        GenerationRun survived = await GenerationRunner.CollectAsync(survivor, timeout.Token);

        Assert.False(timeout.IsCancellationRequested);
        Assert.Empty(drained); // cancelled before its 4th pass ended: no step after the three it had run
        Assert.Equal(30, survived.Steps.Count);
        Assert.True(doomed.IsFinished);
        await WaitUntil(() => scheduler.ActiveJobs == 0);
        Assert.Equal(1, observer.Abandoned);
        Assert.Equal(1, observer.Completed);
    }

    [Fact]
    public async Task TryEnqueue_QueueFull_ReturnsNull_QueuedJobCancelsAtOnce()
    {
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxActiveJobs = 1, MaxQueuedJobs = 1 });
        // The running job is held at its 2nd pass, so it is still running while the queue fills and empties.
        InstrumentedBackend.PassHold first = held.HoldAt(1);
        GenerationJob running = scheduler.TryEnqueue(Request(SamplerKind.Ddpm, 1000, 1, 1), timeout.Token)!;
        await ReadSteps(running, 1);
        await first.Reached.WaitAsync(timeout.Token);
        Assert.Equal(1, scheduler.ActiveJobs);
        Assert.Equal(0, scheduler.QueueDepth);

        GenerationJob queued = scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 2), timeout.Token)!;
        Assert.NotNull(queued);
        Assert.Equal(1, scheduler.QueueDepth);
        Assert.Null(scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 3), timeout.Token));

        queued.Cancel();
        // Let the worker finish that pass and admit (dropping the cancelled job), then hold it at the next pass.
        InstrumentedBackend.PassHold second = held.HoldNext();
        first.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GenerationRunner.CollectAsync(queued, timeout.Token));
        await second.Reached.WaitAsync(timeout.Token);
        Assert.False(timeout.IsCancellationRequested);
        Assert.Equal(0, scheduler.QueueDepth);
        Assert.False(running.IsFinished);
        Assert.NotNull(scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 4), timeout.Token));
        second.Release();
    }

    [Fact]
    public async Task DisposeAsync_CancelsRunningAndQueuedJobs()
    {
        var held = new InstrumentedBackend(backend);
        var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxActiveJobs = 1 });
        InstrumentedBackend.PassHold hold = held.HoldAt(1);
        GenerationJob running = scheduler.TryEnqueue(Request(SamplerKind.Ddpm, 1000, 1, 1), timeout.Token)!;
        GenerationJob queued = scheduler.TryEnqueue(Request(SamplerKind.Ddpm, 1000, 1, 2), timeout.Token)!;
        await ReadSteps(running, 1);
        await hold.Reached.WaitAsync(timeout.Token);

        // Disposed while the running job is mid-pass, 999 steps from its end.
        Task disposing = scheduler.DisposeAsync().AsTask();
        hold.Release();
        await disposing;

        Assert.True(running.IsFinished);
        Assert.True(queued.Events.Completion.IsCompleted);
        Assert.Equal(0, scheduler.ActiveJobs + scheduler.QueueDepth);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GenerationRunner.CollectAsync(running, timeout.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GenerationRunner.CollectAsync(queued, timeout.Token));
        Assert.False(timeout.IsCancellationRequested);
        Assert.Throws<ObjectDisposedException>(() => scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 3), default));
    }

    [Fact]
    public async Task JobThatDoesNotFitTheRowsLeft_WaitsInTheQueue_WithTheJobsBehindIt_RunningJobInEveryPass()
    {
        var observer = new RecordingObserver();
        var held = new InstrumentedBackend(backend);
        await using var scheduler = new GenerationScheduler(held, new SchedulerOptions { MaxBatchRows = 4 }, observer);
        const int steps = 40;
        // All three are queued before the second pass: a (3 rows, class 0) and b (3 rows, class 1) cannot share a
        // 4-row pass; c (1 row, class 2) would fit beside a but is queued behind b, and does not overtake it.
        InstrumentedBackend.PassHold hold = held.HoldAt(0);
        GenerationJob a = scheduler.TryEnqueue(Request(SamplerKind.Ddim, steps, 3, 1, label: 0), timeout.Token)!;
        await hold.Reached.WaitAsync(timeout.Token);
        GenerationJob b = scheduler.TryEnqueue(Request(SamplerKind.Ddim, steps, 3, 2, label: 1), timeout.Token)!;
        GenerationJob c = scheduler.TryEnqueue(Request(SamplerKind.Ddim, steps, 1, 3, label: 2), timeout.Token)!;
        hold.Release();

        GenerationRun[] runs = await Task.WhenAll(
            GenerationRunner.CollectAsync(a, timeout.Token),
            GenerationRunner.CollectAsync(b, timeout.Token),
            GenerationRunner.CollectAsync(c, timeout.Token));

        Assert.All(runs, run => Assert.Equal(steps, run.Steps.Count));
        // Which jobs ran in each pass, read from the class labels the backend saw.
        List<bool[]> present = [.. held.LabelsPerPass.Select(labels => new[] { labels.Contains(0), labels.Contains(1), labels.Contains(2) })];
        Assert.All(held.LabelsPerPass, labels => Assert.True(labels.Length <= 4));
        int[] firstPass = [.. Enumerable.Range(0, 3).Select(job => present.FindIndex(p => p[job]))];
        Assert.Equal([0, steps, steps], firstPass); // b and c start when a ends, together
        for (int job = 0; job < 3; job++)
        {
            // A running job is in every pass until it ends.
            Assert.Equal(steps, present.Count(p => p[job]));
            Assert.Equal(firstPass[job] + steps - 1, present.FindLastIndex(p => p[job]));
        }
        Assert.Equal(2 * steps, held.Passes);
        Assert.True(observer.MaxRows <= 4);
        Assert.Equal((3 * steps) + (3 * steps) + steps, observer.ImageSteps);
        Assert.Equal(3 * steps, observer.JobSteps);
        Assert.Equal(3, observer.Started);
    }

    [Fact]
    public async Task Guidance_TwoRowsPerImage_LayersCountOnceFlopsTwice()
    {
        var exit = new ExitPolicySettings(ExitMode.Adaptive, 0.55f, 2, 0);
        GenerationRun run = await GenerationRunner.RunAsync(backend, Request(SamplerKind.DpmSolverPP2M, 6, 2, 9, label: 1, guidance: 3f, exit: exit), timeout.Token);

        double full = backend.Manifest.Flops.FullForward;
        foreach (StepCompleted step in run.Steps)
        {
            Assert.Equal(2 * Depth, step.Compute.LayersFull);
            Assert.Equal(step.ExitLayers.Sum(), step.Compute.LayersExecuted);
            Assert.Equal(2 * 2 * full, step.Compute.FlopsFull, 6);
            Assert.All(step.ExitLayers, layer => Assert.InRange(layer, 2, Depth));
            Assert.Null(step.Latent);
            Assert.Null(step.PredictedX0);
        }
        Assert.Equal(6L * 2 * Depth, run.Completed.Compute.LayersFull);
    }

    [Theory]
    [InlineData(2, 3f)]
    [InlineData(1, 1f)]
    [InlineData(null, 1f)]
    public async Task FirstStep_UsesSeededNoiseAndGuidedEpsilon(int? label, float guidance)
    {
        using TorchSharpBackend shortSchedule = TinyModel.Backend(seed: 3, timesteps: 20);
        ModelManifest manifest = shortSchedule.Manifest;
        int size = manifest.ImageSize;
        GenerationRequest request = Request(SamplerKind.Ddim, 1, 2, 77, label, guidance) with { PreviewEveryNSteps = 1 };

        GenerationRun run = await GenerationRunner.RunAsync(shortSchedule, request, timeout.Token);

        // Expected: x_T from each image's generator, ε from a direct full-depth pass over [class, null] rows at t = T − 1.
        var noise = new float[2 * size];
        new ImageRandom(77).FillGaussian(noise.AsSpan(0, size));
        new ImageRandom(78).FillGaussian(noise.AsSpan(size, size));
        float[] rowLatents = [.. noise, .. noise];
        int conditional = label ?? manifest.NullClass;
        (_, float[][] predictions) = TinyModel.Direct(shortSchedule, rowLatents, [19, 19, 19, 19], [conditional, conditional, manifest.NullClass, manifest.NullClass]);
        float[] eps = predictions[Depth - 1];
        double alphaBar = new NoiseSchedule(manifest.NoiseSchedule).AlphaBar(19);
        var expected = new float[2 * size];
        for (int i = 0; i < expected.Length; i++)
        {
            double guided = request.UsesGuidance ? eps[2 * size + i] + guidance * (eps[i] - eps[2 * size + i]) : eps[i];
            expected[i] = (float)Math.Clamp((noise[i] - Math.Sqrt(1 - alphaBar) * guided) / Math.Sqrt(alphaBar), -1, 1);
        }
        Assert.Equal(19, run.Steps[0].Timestep);
        Assert.True(Floats.MaxAbsDiff(expected, run.Steps[0].PredictedX0) < 1e-4f);
        Assert.True(Floats.MaxAbsDiff(expected, run.Completed.Images) < 1e-4f);
        Assert.Contains(expected, v => Math.Abs(v) < 0.9f);
    }

    [Fact]
    public async Task BackendFailure_CompletesChannelWithTheException()
    {
        var failing = new InstrumentedBackend(backend) { AfterLayer = 2, OnAfterLayer = () => throw new InvalidOperationException("boom") };

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => GenerationRunner.RunAsync(failing, Request(SamplerKind.Ddim, 5, 1, 1), timeout.Token));

        Assert.Equal("boom", e.Message);
    }

    [Fact]
    public async Task BackendFailsOnOneJobsRows_OnlyThatJobFails_TheOthersInItsBatchComplete()
    {
        GenerationRequest good0 = Request(SamplerKind.Ddim, 6, 2, 50, label: 0);
        GenerationRequest good1 = Request(SamplerKind.Ddim, 6, 1, 60, label: 1);
        GenerationRun alone0 = await GenerationRunner.RunAsync(backend, good0, timeout.Token);
        GenerationRun alone1 = await GenerationRunner.RunAsync(backend, good1, timeout.Token);
        var failing = new InstrumentedBackend(backend) { FailOnLabel = 2 };
        var observer = new RecordingObserver();
        await using var scheduler = new GenerationScheduler(failing, new SchedulerOptions(), observer);
        // All three are queued before the first shared pass, which the poisoned job's rows make fail.
        InstrumentedBackend.PassHold hold = failing.HoldAt(0);
        GenerationJob first = scheduler.TryEnqueue(good0, timeout.Token)!;
        await hold.Reached.WaitAsync(timeout.Token);
        GenerationJob poisoned = scheduler.TryEnqueue(Request(SamplerKind.Ddim, 6, 1, 70, label: 2), timeout.Token)!;
        GenerationJob second = scheduler.TryEnqueue(good1, timeout.Token)!;
        hold.Release();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => GenerationRunner.CollectAsync(poisoned, timeout.Token));
        GenerationRun run0 = await GenerationRunner.CollectAsync(first, timeout.Token);
        GenerationRun run1 = await GenerationRunner.CollectAsync(second, timeout.Token);

        Assert.Equal("the backend rejects rows of class 2", e.Message);
        Assert.Contains(failing.LabelsPerPass, labels => labels.Contains(0) && labels.Contains(1) && labels.Contains(2)); // they did share a pass
        Assert.Equal(alone0.Completed.Images, run0.Completed.Images);   // the retried passes give the same images
        Assert.Equal(alone1.Completed.Images, run1.Completed.Images);
        Assert.Equal(2, observer.Completed);
        Assert.Equal(1, observer.Abandoned);
    }

    [Fact]
    public async Task UnreadEventsBound_ReaderStops_JobPausesAtTheBoundUntilRead_ThenTheSameImages()
    {
        GenerationRequest request = Request(SamplerKind.Ddim, 12, 2, 80, label: 1);
        GenerationRun alone = await GenerationRunner.RunAsync(backend, request, timeout.Token);
        await using var scheduler = new GenerationScheduler(backend, new SchedulerOptions { MaxUnreadEvents = 3 });
        GenerationJob unread = scheduler.TryEnqueue(request, timeout.Token)!;
        GenerationJob other = scheduler.TryEnqueue(Request(SamplerKind.Ddim, 20, 1, 90, label: 0), timeout.Token)!;

        // The other job runs to its end while nobody reads the first, which pauses with 3 events unread.
        GenerationRun otherRun = await GenerationRunner.CollectAsync(other, timeout.Token);
        Assert.Equal(20, otherRun.Steps.Count);
        Assert.Equal(3, unread.StepsDone);
        Assert.Equal(3, unread.UnreadEvents);
        Assert.False(unread.IsFinished);

        GenerationRun resumed = await GenerationRunner.CollectAsync(unread, timeout.Token);
        Assert.Equal(12, resumed.Steps.Count);
        Assert.Equal(alone.Completed.Images, resumed.Completed.Images);
    }

    [Fact]
    public async Task SlowReaderTimeout_PausedTooLong_EndsWithSlowReaderException_UnreadEventsDropped()
    {
        await using var scheduler = new GenerationScheduler(backend, new SchedulerOptions { MaxUnreadEvents = 2, SlowReaderTimeout = TimeSpan.FromMilliseconds(50) });
        GenerationJob job = scheduler.TryEnqueue(Request(SamplerKind.Ddpm, 1000, 1, 3), timeout.Token)!;

        await WaitUntil(() => job.IsFinished);

        Assert.True(job.EndedForSlowReader);
        Assert.Equal(2, job.StepsDone);
        Assert.Equal(0, job.UnreadEvents); // dropped: the memory they held is free at once
        await WaitUntil(() => scheduler.ActiveJobs == 0);
        var e = await Assert.ThrowsAsync<SlowReaderException>(() => GenerationRunner.CollectAsync(job, timeout.Token));
        Assert.Equal(2, e.UnreadEvents);
        Assert.True(e.PausedSeconds > 0.05);
    }

    [Fact]
    public async Task TryEnqueue_InvalidRequest_ThrowsNamingTheField()
    {
        await using var scheduler = new GenerationScheduler(backend, new SchedulerOptions { MaxBatchRows = 8 });
        Assert.Equal("ClassLabel", Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 1, label: 3), default)).ParamName);
        Assert.Equal("Steps", Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(Request(SamplerKind.Ddim, 1001, 1, 1), default)).ParamName);
        Assert.Equal("NumImages", Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 5, 1, guidance: 2f), default)).ParamName);
        Assert.Equal("Exit.FixedDepth", Assert.Throws<ArgumentException>(() => scheduler.TryEnqueue(Request(SamplerKind.Ddim, 5, 1, 1, exit: new ExitPolicySettings(ExitMode.FixedDepth, 1f, 1, 6)), default)).ParamName);
        Assert.Equal(0, scheduler.QueueDepth);
    }

    private static void AssertSameBytes(float[] expected, float[] actual, string what)
    {
        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())),
            $"{what} differ (largest difference {Floats.MaxAbsDiff(expected, actual)})");
    }

    private async Task WaitUntil(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
