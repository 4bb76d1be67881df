using System.Diagnostics;
using System.Threading.Channels;
using AdaDiff.Engine.Exits;
using AdaDiff.Engine.Sampling;

namespace AdaDiff.Engine.Scheduling;

/// <summary>
/// One request in a <see cref="GenerationScheduler"/>: its events, in order, are one
/// <see cref="StepCompleted"/> per step, then one <see cref="GenerationCompleted"/>. The channel completes
/// after the last event; with the exception if the job failed, or an <see cref="OperationCanceledException"/>
/// if it was cancelled.
/// </summary>
public sealed class GenerationJob : IDisposable
{
    private readonly Channel<GenerationEvent> events;
    private readonly CancellationTokenSource cancellation;
    private readonly CancellationToken token;
    private readonly ModelManifest manifest;
    private readonly long enqueuedAt;
    private readonly int imageSize;
    private readonly IExitPolicy exitPolicy;

    // Sampling state, allocated when the job starts (not while it waits): N×C×H×W floats each for the
    // latents, ε, x0 and noise (12 KB for four 28×28 images), one generator per image.
    private Sampler? sampler;
    private float[] latents = [];
    private float[] epsilon = [];
    private float[] predictedX0 = [];
    private float[] noise = [];
    private ImageRandom[] random = [];
    private long[] exitLayerSums = [];
    private int[] condition = [];
    private int[] unconditional = [];
    private ComputeTotals totals;
    private long firstStepStartedAt;
    private int finished;
    private int disposed;
    private int slowReader;

    internal GenerationJob(long id, GenerationRequest request, IExitPolicy exitPolicy, ModelManifest manifest, CancellationToken requestToken, CancellationToken shutdownToken)
    {
        Id = id;
        Request = request;
        this.exitPolicy = exitPolicy;
        this.manifest = manifest;
        imageSize = manifest.ImageSize;
        enqueuedAt = Stopwatch.GetTimestamp();
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(requestToken, shutdownToken);
        token = cancellation.Token;
        // Unbounded: at most Steps + 1 events, and a slow reader must never stall the shared worker.
        events = Channel.CreateUnbounded<GenerationEvent>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = false });
    }

    /// <summary>Scheduler-wide sequence number (1, 2, …), in enqueue order.</summary>
    public long Id { get; }

    /// <summary>The request.</summary>
    public GenerationRequest Request { get; }

    /// <summary>The job's events.</summary>
    public ChannelReader<GenerationEvent> Events => events.Reader;

    /// <summary>Cancelled by the caller's token, by <see cref="Cancel"/> or by the scheduler's shutdown.</summary>
    public CancellationToken CancellationToken => token;

    /// <summary>True once the event channel has been completed (done, failed or cancelled).</summary>
    public bool IsFinished => Volatile.Read(ref finished) != 0;

    /// <summary>True once the job has its sampling state (it left the queue).</summary>
    internal bool Started => sampler is not null;

    /// <summary>Events written and not yet read.</summary>
    public int UnreadEvents => events.Reader.Count;

    /// <summary>Timestamp since which the job has been paused by its unread events; 0 while it is not paused.</summary>
    internal long PausedSince { get; set; }

    /// <summary>True once the job was ended for a slow reader (<see cref="SlowReaderException"/>).</summary>
    public bool EndedForSlowReader => Volatile.Read(ref slowReader) != 0;

    /// <summary>Steps taken.</summary>
    public int StepsDone => sampler?.NextStep ?? 0;

    /// <summary>Cancels the job: its rows leave the batch before the next layer runs.</summary>
    public void Cancel()
    {
        if (IsFinished)
        {
            return;
        }
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Finished meanwhile: nothing left to cancel.
        }
    }

    /// <summary>
    /// Releases the job's link to the caller's token. The scheduler calls it when the job finishes;
    /// callers need not (disposing a running job stops the caller's token from cancelling it).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            cancellation.Dispose();
        }
    }

    /// <summary>Allocates the sampling state and draws x_T per image from its seed.</summary>
    internal void Start(NoiseSchedule schedule)
    {
        int n = Request.NumImages;
        int length = n * imageSize;
        latents = new float[length];
        epsilon = new float[length];
        predictedX0 = new float[length];
        noise = new float[length];
        exitLayerSums = new long[n];
        random = new ImageRandom[n];
        for (int k = 0; k < n; k++)
        {
            random[k] = new ImageRandom(unchecked(Request.Seed + (ulong)k));
            random[k].FillGaussian(latents.AsSpan(k * imageSize, imageSize));
        }
        (condition, unconditional) = Conditions(Request, manifest);
        sampler = Sampler.Create(Request.Sampler, schedule, Request.Steps, length);
    }

    /// <summary>
    /// The condition every row of <paramref name="request"/> carries, [ConditionWidth], and the unconditional one of
    /// its guidance rows (empty without guidance): a class model's label and null class, a text model's prompt ids
    /// and the prompt of padding only (all ids 0). Without a condition the row is the unconditional one.
    /// </summary>
    internal static (int[] Condition, int[] Unconditional) Conditions(GenerationRequest request, ModelManifest manifest)
    {
        if (manifest.Conditioning == ConditioningKind.Text)
        {
            int[] padding = new int[manifest.ConditionWidth]; // [PAD] is id 0
            int[] ids = request.PromptTokens is { } tokens ? [.. tokens] : padding;
            return (ids, request.UsesGuidance ? padding : []);
        }
        int label = request.ClassLabel ?? manifest.NullClass;
        return ([label], request.UsesGuidance ? [manifest.NullClass] : []);
    }

    /// <summary>Adds this job's next step to <paramref name="batch"/> as one group; returns the group.</summary>
    internal int AddTo(DenoiseBatch batch)
    {
        Sampler s = sampler!;
        float timestep = s.Timesteps[s.NextStep];
        int group = batch.AddGroup(exitPolicy, s.NextStep, token);
        for (int k = 0; k < Request.NumImages; k++)
        {
            batch.AddImage(latents.AsSpan(k * imageSize, imageSize), timestep, condition, unconditional);
        }
        return group;
    }

    /// <summary>Marks the start of the tick that runs this job's first step.</summary>
    internal void MarkTick(long tickStartedAt)
    {
        if (firstStepStartedAt == 0)
        {
            firstStepStartedAt = tickStartedAt;
        }
    }

    /// <summary>
    /// Takes the step whose network results are in <paramref name="group"/> of <paramref name="batch"/> and
    /// writes its <see cref="StepCompleted"/> (and the <see cref="GenerationCompleted"/> after the last).
    /// Returns true when the job is complete.
    /// </summary>
    internal bool Advance(DenoiseBatch batch, int group, ComputeLedger ledger, IGenerationObserver? observer, double secondsPerLayer, long tickStartedAt)
    {
        Sampler s = sampler!;
        int step = s.NextStep;
        int timestep = s.Timesteps[step];
        int n = Request.NumImages;
        int depth = ledger.Depth;
        // Event payloads handed to the reader: 2 × N × 4 B per step (and the latent/preview copies below when asked for).
        int[] exitLayers = new int[n];
        float[] certainties = new float[n];
        float scale = Request.GuidanceScale;
        int firstImage = batch.GroupFirstImage(group);
        for (int k = 0; k < n; k++)
        {
            int image = firstImage + k;
            int row = batch.ImageFirstRow(image);
            Span<float> eps = epsilon.AsSpan(k * imageSize, imageSize);
            ReadOnlySpan<float> conditional = batch.Epsilon(row);
            if (batch.ImageRows(image) == 2)
            {
                // ε = ε_u + w(ε_c − ε_u)
                ReadOnlySpan<float> unconditional = batch.Epsilon(row + 1);
                for (int i = 0; i < eps.Length; i++)
                {
                    eps[i] = unconditional[i] + (scale * (conditional[i] - unconditional[i]));
                }
            }
            else
            {
                conditional.CopyTo(eps);
            }
            int exitLayer = batch.ImageExitLayer(image);
            exitLayers[k] = exitLayer;
            certainties[k] = batch.ImageCertainty(image);
            exitLayerSums[k] += exitLayer;
            observer?.ImageStep(exitLayer, depth, timestep, s.Schedule.Timesteps);
        }
        if (s.NeedsNoise(step))
        {
            for (int k = 0; k < n; k++)
            {
                random[k].FillGaussian(noise.AsSpan(k * imageSize, imageSize));
            }
        }
        s.Step(step, latents, epsilon, noise, predictedX0);

        ComputeTotals compute = ledger.GroupStep(batch, group);
        totals += compute;
        bool last = step == s.Steps - 1;
        float[]? latent = Emits(step, last, Request.LatentEveryNSteps) ? (float[])latents.Clone() : null;
        bool previewDue = Emits(step, last, Request.PreviewEveryNSteps);
        bool predictedCleanDue = Emits(step, last, Request.PredictedCleanEveryNSteps);
        float[]? x0 = previewDue || predictedCleanDue ? (float[])predictedX0.Clone() : null;
        long now = Stopwatch.GetTimestamp();
        double elapsed = Stopwatch.GetElapsedTime(enqueuedAt, now).TotalSeconds;
        events.Writer.TryWrite(new StepCompleted(step, timestep, exitLayers, certainties, latent, x0, compute, elapsed)
        {
            PreviewDue = previewDue,
            PredictedCleanDue = predictedCleanDue,
        });
        observer?.JobStep(compute, Stopwatch.GetElapsedTime(tickStartedAt, now).TotalSeconds, secondsPerLayer, Request.UsesGuidance ? 2 : 1);
        double queueSeconds = Stopwatch.GetElapsedTime(enqueuedAt, firstStepStartedAt).TotalSeconds;
        if (step == 0)
        {
            observer?.JobStarted(queueSeconds, elapsed);
        }
        if (!last)
        {
            return false;
        }

        float[] images = new float[latents.Length];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = Math.Clamp(latents[i], -1f, 1f);
        }
        ulong[] seeds = new ulong[n];
        float[] meanExitLayers = new float[n];
        for (int k = 0; k < n; k++)
        {
            seeds[k] = unchecked(Request.Seed + (ulong)k);
            meanExitLayers[k] = (float)((double)exitLayerSums[k] / s.Steps);
        }
        events.Writer.TryWrite(new GenerationCompleted(images, seeds, meanExitLayers, totals, queueSeconds, elapsed));
        Finish(null);
        observer?.JobFinished(true, n, elapsed);
        return true;
    }

    /// <summary>Completes the channel: normally, with <paramref name="error"/>, or cancelled; returns false if it already was.</summary>
    internal bool Finish(Exception? error)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return false;
        }
        events.Writer.TryComplete(error);
        return true;
    }

    /// <summary>
    /// Ends the job for a reader that left its events unread: the channel completes with <paramref name="error"/> and
    /// the events it held are dropped, so the memory they took is free at once; the reader, when it comes back, finds
    /// the error. Returns false if the job had already finished.
    /// </summary>
    internal bool FinishSlowReader(SlowReaderException error)
    {
        Volatile.Write(ref slowReader, 1);
        if (!Finish(error))
        {
            return false;
        }
        while (events.Reader.TryRead(out _))
        {
        }
        return true;
    }

    /// <summary>Completes the channel with an <see cref="OperationCanceledException"/>.</summary>
    internal bool FinishCancelled() => Finish(new OperationCanceledException("the generation was cancelled", token));

    /// <summary>Seconds since the job was enqueued.</summary>
    internal double SecondsSinceEnqueue => Stopwatch.GetElapsedTime(enqueuedAt).TotalSeconds;

    /// <summary>Every n-th step (1-based) and the last; never when n is 0.</summary>
    private static bool Emits(int step, bool last, int n) => n > 0 && (last || (step + 1) % n == 0);
}
