using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// ONNX Runtime's environment with one global intra-op pool and one CPU arena allocator. A U-ViT served in stages
/// has 2L+2 sessions and more fused ones; with a pool each, the pools of the sessions that just ran keep spinning
/// while the next one runs, which on a 2-core machine costs the work itself; with an arena each, every session
/// keeps the activations of the largest batch it ran. The environment is created once per process, before the
/// first <see cref="SessionOptions"/> (whose constructor creates a default environment); if something else created it
/// first, sessions fall back to pools and arenas of their own.
/// </summary>
internal static class OrtThreads
{
    private static readonly Lock Gate = new();
    private static bool? global;

    /// <summary>
    /// Configures <paramref name="options"/> to use the global pool (created with <paramref name="threads"/> and
    /// <paramref name="spin"/> on first use) or its own, and the environment's arena when <paramref name="sharedArena"/>.
    /// </summary>
    public static void Apply(SessionOptions options, int threads, bool spin, bool sharedArena)
    {
        if (CreateEnvironment(threads, spin))
        {
            options.DisablePerSessionThreads();
            if (sharedArena)
            {
                options.AddSessionConfigEntry("session.use_env_allocators", "1");
            }
        }
        else
        {
            options.IntraOpNumThreads = threads;
            options.InterOpNumThreads = 1;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        }
    }

    /// <summary>
    /// Configures <paramref name="options"/> to run every operator on the calling thread (an intra-op pool of one, which
    /// starts no thread), with the environment's arena when <paramref name="sharedArena"/> and the environment is ours.
    /// </summary>
    public static void ApplySingleThread(SessionOptions options, int threads, bool spin, bool sharedArena)
    {
        bool ours = CreateEnvironment(threads, spin);
        options.IntraOpNumThreads = 1;
        options.InterOpNumThreads = 1;
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (ours && sharedArena)
        {
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        }
    }

    /// <summary>
    /// Creates the environment with the global pool (<paramref name="threads"/>, <paramref name="spin"/>) and the arena
    /// unless one exists; true when the global pool is ours. Call before creating any <see cref="SessionOptions"/>.
    /// </summary>
    public static bool CreateEnvironment(int threads, bool spin)
    {
        lock (Gate)
        {
            if (global is null)
            {
                if (OrtEnv.IsCreated)
                {
                    global = false;
                }
                else
                {
                    using var threading = new OrtThreadingOptions
                    {
                        GlobalIntraOpNumThreads = threads,
                        GlobalInterOpNumThreads = 1,
                        // No spinning: measured here (2 cores shared with other work), spinning workers took the
                        // CPU from the thread that runs the next stage: 0.4 images/s instead of 4.9 at batch 1.
                        GlobalSpinControl = spin,
                    };
                    var creation = new EnvironmentCreationOptions
                    {
                        logId = "adadiff",
                        logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                        threadOptions = threading,
                    };
                    #pragma warning disable CA2000 // the process-wide environment lives until the process exits (ONNX Runtime allows one)
                    OrtEnv env = OrtEnv.CreateInstanceWithOptions(ref creation);
                    #pragma warning restore CA2000
                    using var cpu = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
                    using var arena = new OrtArenaCfg(0, -1, -1, -1); // ONNX Runtime's defaults: no limit, extend by powers of two
                    env.CreateAndRegisterAllocator(cpu, arena);
                    global = true;
                }
            }
        }
        return global == true;
    }
}
