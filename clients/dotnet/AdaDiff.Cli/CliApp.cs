using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using SkiaSharp;
using Spectre.Console;

namespace AdaDiff.Cli;

/// <summary>The <c>adadiff</c> command line: generate, models, health.</summary>
public static class CliApp
{
    /// <summary>Exit codes a script can rely on.</summary>
    public static class ExitCodes
    {
        public const int Ok = 0;
        public const int Failed = 1;
        public const int BadArgument = 2;
        public const int NotFound = 3;
        public const int Unavailable = 4;
        public const int Unauthenticated = 5;
    }

    /// <summary>The environment variable holding the bearer token when --token-file is not given.</summary>
    internal const string TokenVariable = "ADADIFF_TOKEN";

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="stdout">Where results go (and the live display, when it is the console of a terminal).</param>
    /// <param name="stderr">Where error messages go.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var server = new Option<string>("--server")
        {
            Description = "Server address: http://host:port, https://host:port (TLS), or dns:///host:port to balance round-robin over every address (env ADADIFF_SERVER)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ADADIFF_SERVER") ?? "http://127.0.0.1:50051",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line (events) for scripts", Recursive = true };
        var attempts = new Option<int>("--attempts")
        {
            Description = "Attempts per call, 1..5, retried with backoff on UNAVAILABLE and RESOURCE_EXHAUSTED only",
            DefaultValueFactory = _ => 3,
            Recursive = true,
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = $"File holding the bearer token sent with every call (trimmed); without it, the token in {TokenVariable} if set",
            Recursive = true,
        };
        var tls = new Option<bool>("--tls") { Description = "TLS with a dns:/// address (an https:// address selects TLS by itself)", Recursive = true };
        var caFile = new Option<string?>("--ca-file")
        {
            Description = "PEM CA certificate(s) to trust for the server's TLS certificate instead of the system's (a private CA, or a self-signed certificate itself)",
            Recursive = true,
        };
        var clientCert = new Option<string?>("--client-cert") { Description = "PEM client certificate for mutual TLS (with --client-key)", Recursive = true };
        var clientKey = new Option<string?>("--client-key") { Description = "Unencrypted PEM private key of --client-cert", Recursive = true };
        attempts.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 5)
            {
                r.AddError("--attempts must be 1..5.");
            }
        });

        var model = new Option<string>("--model") { Description = "Model name; empty for the server's default", DefaultValueFactory = _ => "" };
        var classLabel = new Option<int?>("--class") { Description = "Class index to generate (omit for unconditional)" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the first image (0: server chooses)", DefaultValueFactory = _ => 0 };
        var sampler = new Option<string>("--sampler") { Description = "ddim | ddpm | dpm++", DefaultValueFactory = _ => "ddim" };
        sampler.AcceptOnlyFromAmong("ddim", "ddpm", "dpm++");
        var steps = new Option<uint>("--steps") { Description = "Sampling steps (0: sampler default)", DefaultValueFactory = _ => 0 };
        var threshold = new Option<float>("--threshold") { Description = "Exit certainty threshold (0: model default)", DefaultValueFactory = _ => 0 };
        var minLayers = new Option<uint>("--min-layers") { Description = "Earliest exit layer (0: model default)", DefaultValueFactory = _ => 0 };
        var fullDepth = new Option<bool>("--full-depth") { Description = "Run every layer (no early exits)" };
        var fixedDepth = new Option<uint>("--fixed-depth") { Description = "Exit every image at this layer (static truncation)", DefaultValueFactory = _ => 0 };
        var guidance = new Option<float>("--guidance") { Description = "Classifier-free guidance scale (0: the model's default with --class, else none; 1: none)", DefaultValueFactory = _ => 0 };
        var images = new Option<uint>("--images", "-n") { Description = "Number of images", DefaultValueFactory = _ => 1 };
        var outDir = new Option<string>("--out", "-o") { Description = "Folder for PNGs, strip.png and stats.json", DefaultValueFactory = _ => "out" };
        var timeout = new Option<double>("--timeout") { Description = "Deadline in seconds", DefaultValueFactory = _ => 600 };
        var previewEvery = new Option<uint>("--preview-every")
        {
            Description = "Preview every n steps (and the last) for the denoising strip (strip.png); 0: no previews, no strip",
            DefaultValueFactory = _ => 5,
        };
        var plain = new Option<bool>("--plain") { Description = "Plain line-per-step output even on a terminal (always so without a TTY or under CI)" };

        var generate = new Command("generate", "Generate images and watch every step's exit depths")
        {
            model, classLabel, seed, sampler, steps, threshold, minLayers, fullDepth, fixedDepth, guidance, images, outDir, timeout, previewEvery, plain,
        };
        generate.SetAction((parse, ct) =>
        {
            var output = new Output(stdout, stderr, parse.GetValue(json));
            if (parse.GetValue(classLabel) is < 0)
            {
                return output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, "error: --class must be 0 or more.");
            }
            var request = new GenerateRequest
            {
                Model = parse.GetValue(model) ?? "",
                NumImages = parse.GetValue(images),
                Seed = parse.GetValue(seed),
                Sampler = parse.GetValue(sampler) switch
                {
                    "ddpm" => Sampler.Ddpm,
                    "dpm++" => Sampler.DpmSolverPp2M,
                    _ => Sampler.Ddim,
                },
                Steps = parse.GetValue(steps),
                GuidanceScale = parse.GetValue(guidance),
                ExitPolicy = new ExitPolicy
                {
                    Mode = parse.GetValue(fullDepth) ? ExitMode.FullDepth
                        : parse.GetValue(fixedDepth) > 0 ? ExitMode.FixedDepth
                        : ExitMode.Adaptive,
                    Threshold = parse.GetValue(threshold),
                    MinLayers = parse.GetValue(minLayers),
                    FixedDepth = parse.GetValue(fixedDepth),
                },
                Stream = new StreamOptions { LatentEncoding = LatentEncoding.None, PreviewEveryNSteps = parse.GetValue(previewEvery) },
            };
            if (parse.GetValue(classLabel) is int label)
            {
                request.ClassLabel = (uint)label;
            }
            bool live = !output.Json && !parse.GetValue(plain) && IsInteractiveConsole(stdout);
            return Guarded(output, Connection(parse), client => GenerateAsync(
                client, request, parse.GetValue(outDir)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), output, live, ct));
        });

        var models = new Command("models", "List the models the server serves");
        models.SetAction((parse, ct) =>
        {
            var output = new Output(stdout, stderr, parse.GetValue(json));
            return Guarded(output, Connection(parse), client => ListModelsAsync(client, output, ct));
        });

        var health = new Command("health", "Ask the server's grpc.health.v1 service");
        health.SetAction((parse, ct) =>
        {
            var output = new Output(stdout, stderr, parse.GetValue(json));
            return Guarded(output, Connection(parse), client => HealthAsync(client, output, ct));
        });

        ConnectionSettings Connection(ParseResult parse) => new(
            parse.GetValue(server)!, parse.GetValue(attempts), parse.GetValue(tokenFile), Environment.GetEnvironmentVariable(TokenVariable),
            parse.GetValue(tls), parse.GetValue(caFile), parse.GetValue(clientCert), parse.GetValue(clientKey));

        var root = new RootCommand("adadiff: call an AdaDiff diffusion server")
        {
            server, json, attempts, tokenFile, tls, caFile, clientCert, clientKey, generate, models, health,
        };
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // A bad command line is a bad argument (exit 2), like a request the server rejects.
            foreach (System.CommandLine.Parsing.ParseError error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"error: {error.Message}");
            }
            await stderr.WriteLineAsync("Run 'adadiff --help' (or 'adadiff <command> --help') for the options.");
            return ExitCodes.BadArgument;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>A terminal a person watches: the process console, not redirected, not CI, and able to redraw.</summary>
    private static bool IsInteractiveConsole(TextWriter stdout) =>
        ReferenceEquals(stdout, Console.Out)
        && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb")
        && AnsiConsole.Profile.Capabilities.Interactive;

    private static async Task<int> Guarded(Output output, ConnectionSettings settings, Func<AdaDiffClient, Task<int>> action)
    {
        string address = settings.Address;
        Uri uri;
        try
        {
            uri = new Uri(address);
        }
        catch (UriFormatException e)
        {
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, $"error: bad --server address '{address}': {e.Message}");
        }
        if (settings.CredentialsError(uri) is string problem)
        {
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, $"error: {problem}");
        }
        AdaDiffClient client;
        try
        {
            client = new AdaDiffClient(new AdaDiffClientOptions
            {
                Address = uri,
                RoundRobin = uri.Scheme == "dns",
                MaxAttempts = settings.Attempts,
                DefaultTimeout = null, // each command sets its own
                TokenFile = settings.TokenFile,
                Token = settings.TokenSource == TokenVariable ? settings.EnvironmentToken : null,
                UseTls = settings.Tls,
                CaFile = settings.CaFile,
                ClientCertificateFile = settings.ClientCertificate,
                ClientKeyFile = settings.ClientKey,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            // A credentials file that is missing, empty or unreadable: said before any call is made.
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, $"error: {char.ToLowerInvariant(e.Message[0])}{e.Message[1..]}");
        }
        catch (FormatException)
        {
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument,
                $"error: the token in {TokenVariable} is empty or holds a space or a character outside visible ASCII, which an authorization header cannot carry.");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return await output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, $"error: bad --server address '{address}': {e.Message}");
        }
        using (client)
        {
            try
            {
                return await action(client);
            }
            catch (RpcException e)
            {
                int code = e.StatusCode switch
                {
                    StatusCode.InvalidArgument => ExitCodes.BadArgument,
                    StatusCode.NotFound => ExitCodes.NotFound,
                    StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.Unavailable,
                    StatusCode.Unauthenticated => ExitCodes.Unauthenticated,
                    _ when IsConnectionFailure(e) => ExitCodes.Unavailable, // grpc-dotnet: INTERNAL for a TLS handshake that failed
                    _ => ExitCodes.Failed,
                };
                return await output.FailAsync(CodeName(e.StatusCode), code, Describe(e, settings));
            }
            catch (OperationCanceledException)
            {
                return await output.FailAsync("CANCELLED", ExitCodes.Failed, "error: cancelled.");
            }
            catch (IOException e)
            {
                return await output.FailAsync("IO", ExitCodes.Failed, $"error: cannot write output: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                return await output.FailAsync("IO", ExitCodes.Failed, $"error: cannot write output: {e.Message}");
            }
        }
    }

    /// <summary>The canonical upper-snake name of a status code (UNAVAILABLE, INVALID_ARGUMENT…).</summary>
    internal static string CodeName(StatusCode code)
    {
        string name = code.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                sb.Append('_');
            }
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }

    private static string Describe(RpcException e, ConnectionSettings settings)
    {
        string address = settings.Address;
        switch (e.StatusCode)
        {
            case StatusCode.Unavailable or StatusCode.Internal when IsTlsFailure(e):
                return $"error: TLS with {address} failed ({e.Status.Detail}). If the server's certificate is self-signed or from a private CA, "
                    + "pass that CA with --ca-file; if the server requires a client certificate, pass --client-cert and --client-key; "
                    + "if it serves plaintext, use an http:// address.";
            case StatusCode.Unavailable or StatusCode.Internal when IsConnectionFailure(e) && settings.Secure(new Uri(address)):
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh. "
                    + (settings.ClientCertificate is null
                        ? "A server that requires a client certificate (mutual TLS) closes the connection without one: pass --client-cert and --client-key."
                        : "A server that does not accept the client certificate closes the connection: check --client-cert against the server's client CA.");
            case StatusCode.Unavailable or StatusCode.Internal when IsConnectionFailure(e):
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh. If it serves TLS, use an https:// address.";
            case StatusCode.Unavailable:
                return $"error: server unavailable at {address} ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh.";
            case StatusCode.Unauthenticated when settings.TokenSource is null:
                return $"error: the server requires a bearer token ({e.Status.Detail.TrimEnd('.')}). Pass it with --token-file FILE or in the {TokenVariable} environment variable.";
            case StatusCode.Unauthenticated:
                return $"error: the server refused the bearer token from {settings.TokenSource} ({e.Status.Detail.TrimEnd('.')}). "
                    + $"Check it against the server's token file, or pass another with --token-file FILE or {TokenVariable}.";
            case StatusCode.DeadlineExceeded:
                return $"error: the deadline passed before the server answered ({e.Status.Detail}); raise --timeout.";
            case StatusCode.NotFound:
                return $"error: {e.Status.Detail} Run 'adadiff models' to list the served models.";
            case StatusCode.ResourceExhausted:
                TimeSpan? wait = RpcErrors.RetryDelay(e);
                return $"error: the server is busy ({e.Status.Detail}){(wait is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; try again in {wait.Value.TotalSeconds:0.#} s"))}.";
            default:
                var text = $"error: {CodeName(e.StatusCode)}: {e.Status.Detail}";
                foreach (var (field, description) in RpcErrors.FieldViolations(e))
                {
                    text += $"\n  {field}: {description}";
                }
                return text;
        }
    }

    /// <summary>A failed TLS handshake (untrusted or mismatched certificate, no client certificate, plaintext server) anywhere in the cause.</summary>
    private static bool IsTlsFailure(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The call never reached the server: the connection or its TLS handshake failed (HttpRequestException in the cause).</summary>
    private static bool IsConnectionFailure(RpcException e)
    {
        for (Exception? inner = e.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException)
            {
                return true;
            }
        }
        return false;
    }

    private static async Task<int> GenerateAsync(AdaDiffClient client, GenerateRequest request, string outDir, TimeSpan timeout, Output output, bool live, CancellationToken ct)
    {
        var strip = new DenoisingStrip();
        var exitsPerStep = new List<uint[]>();
        int totalSteps = (int)(request.Steps > 0 ? request.Steps : request.Sampler switch
        {
            Sampler.Ddpm => 1000u,
            Sampler.DpmSolverPp2M => 20u,
            _ => 50u,
        });
        GenerationResult? result = null;

        async Task Run(Action<StepProgress>? onLive)
        {
            await foreach (GenerationEvent e in client.GenerateAsync(request, timeout, ct))
            {
                switch (e)
                {
                    case StepProgress step:
                        exitsPerStep.Add([.. step.ExitLayers]);
                        strip.Add(step);
                        if (onLive is not null)
                        {
                            onLive(step);
                        }
                        else if (output.Json)
                        {
                            await output.Events.StepAsync(step, totalSteps);
                        }
                        else
                        {
                            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                                $"step {step.StepsSoFar,4}  t={step.Update.Timestep,4}  exit layers [{string.Join(' ', step.ExitLayers)}] of {step.Update.FullDepth}  layers saved {step.AccelerationRatio:P1}"));
                        }
                        break;
                    case GenerationCompleted done:
                        result = done.Result;
                        break;
                }
            }
        }

        if (live)
        {
            var view = new LiveView(totalSteps, (int)Math.Max(1, request.NumImages), request.Model.Length == 0 ? "default model" : request.Model);
            await AnsiConsole.Live(view.Render()).AutoClear(false).StartAsync(async ctx =>
            {
                await Run(step =>
                {
                    view.Update(step);
                    ctx.UpdateTarget(view.Render());
                    ctx.Refresh();
                });
            });
        }
        else
        {
            await Run(null);
        }
        if (result is null)
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.Internal, "The stream ended without a result."));
        }
        await WriteResultAsync(result, strip, exitsPerStep, outDir, output);
        return ExitCodes.Ok;
    }

    private static async Task WriteResultAsync(GenerationResult result, DenoisingStrip strip, List<uint[]> exitsPerStep, string outDir, Output output)
    {
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < result.Images.Count; i++)
        {
            GeneratedImage image = result.Images[i];
            string path = Path.Combine(outDir, $"image-{i}-seed{image.Seed}.png");
            await File.WriteAllBytesAsync(path, image.Png.ToByteArray());
            if (output.Json)
            {
                await output.Events.FileAsync("image", path, i, image.Seed);
            }
            else
            {
                await output.Out.WriteLineAsync($"wrote {path}");
            }
        }
        using (SKBitmap? sheet = strip.Render())
        {
            if (sheet is not null)
            {
                string stripPath = Path.Combine(outDir, "strip.png");
                using (SKData png = sheet.Encode(SKEncodedImageFormat.Png, 100))
                {
                    await File.WriteAllBytesAsync(stripPath, png.ToArray());
                }
                if (output.Json)
                {
                    await output.Events.FileAsync("strip", stripPath);
                }
                else
                {
                    await output.Out.WriteLineAsync($"wrote {stripPath} (previews of {strip.Count} steps, exit depth under each)");
                }
            }
        }
        string statsPath = Path.Combine(outDir, "stats.json");
        await StatsFile.WriteAsync(statsPath, result, exitsPerStep);
        ComputeStats stats = result.Stats;
        if (output.Json)
        {
            await output.Events.ResultAsync(result, statsPath);
        }
        else
        {
            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{result.Images.Count} image(s) in {stats.WallSeconds:F2} s; layers {stats.LayersExecuted}/{stats.LayersFull} (acceleration ratio {stats.AccelerationRatio:P1}); stats in {statsPath}"));
        }
    }

    private static async Task<int> ListModelsAsync(AdaDiffClient client, Output output, CancellationToken ct)
    {
        IReadOnlyList<ModelInfo> models = await client.ListModelsAsync(TimeSpan.FromSeconds(30), ct);
        foreach (ModelInfo m in models)
        {
            if (output.Json)
            {
                await output.Events.ModelAsync(m);
                continue;
            }
            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{m.Name}{(m.IsDefault ? " (default)" : "")}: {m.Channels}x{m.Height}x{m.Width}, depth {m.Depth}, {m.NumClasses} classes, threshold {m.DefaultThreshold}, guidance {m.DefaultGuidanceScale}, {m.Backend}/{m.ExecutionProvider} — {m.Description}"));
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> HealthAsync(AdaDiffClient client, Output output, CancellationToken ct)
    {
        HealthCheckResponse.Types.ServingStatus status = await client.CheckHealthAsync("", TimeSpan.FromSeconds(30), ct);
        if (output.Json)
        {
            await output.Events.HealthAsync(CodeName(status));
        }
        else
        {
            await output.Out.WriteLineAsync(status.ToString());
        }
        return status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Ok : ExitCodes.Unavailable;
    }

    private static string CodeName(HealthCheckResponse.Types.ServingStatus status) => status switch
    {
        HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
        HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
        HealthCheckResponse.Types.ServingStatus.ServiceUnknown => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };

    /// <summary>How to reach the server: the connection options of the command line and the environment's token.</summary>
    private sealed record ConnectionSettings(
        string Address, int Attempts, string? TokenFile, string? EnvironmentToken, bool Tls, string? CaFile, string? ClientCertificate, string? ClientKey)
    {
        /// <summary>Where the token comes from, for messages: --token-file FILE, else ADADIFF_TOKEN when set and not blank, else null (none).</summary>
        public string? TokenSource => TokenFile is not null ? $"--token-file {TokenFile}"
            : !string.IsNullOrWhiteSpace(EnvironmentToken) ? TokenVariable
            : null;

        public bool Secure(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || Tls;

        /// <summary>Options that cannot go together, said with the command line's names; null when they can.</summary>
        public string? CredentialsError(Uri uri)
        {
            if (Tls && uri.Scheme == Uri.UriSchemeHttp)
            {
                return $"--tls with the http:// address {Address}; use https://host:port (or leave --tls out).";
            }
            if ((ClientCertificate is null) != (ClientKey is null))
            {
                return "--client-cert and --client-key go together (the certificate and its private key).";
            }
            if (!Secure(uri) && (CaFile is not null || ClientCertificate is not null))
            {
                return $"{(CaFile is not null ? "--ca-file" : "--client-cert")} needs TLS, but {Address} is plaintext: use an https:// --server address (or --tls with dns:///).";
            }
            return null;
        }
    }

    /// <summary>Where a command's output goes: text or JSON lines on stdout, messages on stderr.</summary>
    private sealed class Output(TextWriter stdout, TextWriter stderr, bool json)
    {
        public TextWriter Out { get; } = stdout;

        public bool Json { get; } = json;

        public JsonEvents Events { get; } = new(stdout);

        /// <summary>Says what went wrong on stderr (and as an error event with --json) and returns the exit code.</summary>
        public async Task<int> FailAsync(string code, int exitCode, string message)
        {
            await stderr.WriteLineAsync(message);
            if (Json)
            {
                await Events.ErrorAsync(code, exitCode, message);
            }
            return exitCode;
        }
    }
}
