using Microsoft.ML.OnnxRuntime;

namespace AdaDiff.Backends.Onnx.Internal;

/// <summary>
/// ONNX Runtime's environment with one global intra-op pool. A U-ViT served in stages has 2L+2 sessions;
/// with a pool each, the pools of the sessions that just ran keep spinning while the next one runs, which on
/// a 2-core machine costs the work itself. The environment is created once per process; if something else
/// created it first, sessions fall back to pools of their own.
/// </summary>
internal static class OrtThreads
{
    private static readonly Lock Gate = new();
    private static bool? global;

    /// <summary>
    /// Configures <paramref name="options"/> to use the global pool (created with <paramref name="threads"/> and
    /// <paramref name="spin"/> on first use) or its own.
    /// </summary>
    public static void Apply(SessionOptions options, int threads, bool spin)
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
                    OrtEnv.CreateInstanceWithOptions(ref creation);
                    global = true;
                }
            }
        }
        if (global == true)
        {
            options.DisablePerSessionThreads();
        }
        else
        {
            options.IntraOpNumThreads = threads;
            options.InterOpNumThreads = 1;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        }
    }
}
