using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

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
    }

    private static readonly JsonSerializerOptions StatsJson = new() { WriteIndented = true };

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var server = new Option<string>("--server")
        {
            Description = "Server address (env ADADIFF_SERVER)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ADADIFF_SERVER") ?? "http://127.0.0.1:50051",
            Recursive = true,
        };

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
        var guidance = new Option<float>("--guidance") { Description = "Classifier-free guidance scale (0: none)", DefaultValueFactory = _ => 0 };
        var images = new Option<uint>("--images", "-n") { Description = "Number of images", DefaultValueFactory = _ => 1 };
        var outDir = new Option<string>("--out", "-o") { Description = "Folder for PNGs and stats.json", DefaultValueFactory = _ => "out" };
        var timeout = new Option<double>("--timeout") { Description = "Deadline in seconds", DefaultValueFactory = _ => 600 };

        var generate = new Command("generate", "Generate images and watch every step's exit depths")
        {
            model, classLabel, seed, sampler, steps, threshold, minLayers, fullDepth, fixedDepth, guidance, images, outDir, timeout,
        };
        generate.SetAction((parse, ct) =>
        {
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
                Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
            };
            if (parse.GetValue(classLabel) is int label)
            {
                request.ClassLabel = checked((uint)label);
            }
            return Guarded(stderr, () => GenerateAsync(
                parse.GetValue(server)!, request, parse.GetValue(outDir)!, TimeSpan.FromSeconds(parse.GetValue(timeout)), stdout, ct));
        });

        var models = new Command("models", "List the models the server serves");
        models.SetAction((parse, ct) => Guarded(stderr, () => ListModelsAsync(parse.GetValue(server)!, stdout, ct)));

        var health = new Command("health", "Ask the server's grpc.health.v1 service");
        health.SetAction((parse, ct) => Guarded(stderr, () => HealthAsync(parse.GetValue(server)!, stdout, ct)));

        var root = new RootCommand("adadiff: call an AdaDiff diffusion server") { server, generate, models, health };
        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> Guarded(TextWriter stderr, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (RpcException e)
        {
            await stderr.WriteLineAsync(Describe(e));
            return e.StatusCode switch
            {
                StatusCode.InvalidArgument => ExitCodes.BadArgument,
                StatusCode.NotFound => ExitCodes.NotFound,
                StatusCode.Unavailable or StatusCode.DeadlineExceeded => ExitCodes.Unavailable,
                _ => ExitCodes.Failed,
            };
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"error: cannot write output: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Describe(RpcException e)
    {
        if (e.StatusCode == StatusCode.Unavailable)
        {
            return $"error: server unavailable ({e.Status.Detail}). Is it running? Start it with scripts/serve.sh.";
        }
        var text = $"error: {e.StatusCode}: {e.Status.Detail}";
        var status = e.GetRpcStatus();
        var badRequest = status?.GetDetail<Google.Rpc.BadRequest>();
        if (badRequest is not null)
        {
            foreach (var violation in badRequest.FieldViolations)
            {
                text += $"\n  {violation.Field}: {violation.Description}";
            }
        }
        return text;
    }

    private static async Task<int> GenerateAsync(string address, GenerateRequest request, string outDir, TimeSpan timeout, TextWriter stdout, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        using var call = client.Generate(request, deadline: DateTime.UtcNow + timeout, cancellationToken: ct);
        long executed = 0, full = 0;
        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            switch (response.EventCase)
            {
                case GenerateResponse.EventOneofCase.Step:
                    var step = response.Step;
                    foreach (uint layer in step.ExitLayers)
                    {
                        executed += layer;
                        full += step.FullDepth;
                    }
                    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"step {step.StepIndex + 1,4}  t={step.Timestep,4}  exit layers [{string.Join(' ', step.ExitLayers)}] of {step.FullDepth}  layers saved {1.0 - (double)executed / full:P1}"));
                    break;
                case GenerateResponse.EventOneofCase.Result:
                    await WriteResultAsync(response.Result, outDir, stdout);
                    break;
            }
        }
        return ExitCodes.Ok;
    }

    private static async Task WriteResultAsync(GenerationResult result, string outDir, TextWriter stdout)
    {
        Directory.CreateDirectory(outDir);
        for (int i = 0; i < result.Images.Count; i++)
        {
            var image = result.Images[i];
            string path = Path.Combine(outDir, $"image-{i}-seed{image.Seed}.png");
            await File.WriteAllBytesAsync(path, image.Png.ToByteArray());
            await stdout.WriteLineAsync($"wrote {path}");
        }
        var stats = result.Stats;
        var summary = new
        {
            model = result.Model,
            layersExecuted = stats.LayersExecuted,
            layersFull = stats.LayersFull,
            accelerationRatio = stats.AccelerationRatio,
            flopsExecuted = stats.FlopsExecuted,
            flopsFull = stats.FlopsFull,
            wallSeconds = stats.WallSeconds,
            queueSeconds = stats.QueueSeconds,
            steps = stats.Steps,
            seeds = result.Images.Select(i => i.Seed).ToArray(),
            meanExitLayers = result.Images.Select(i => i.MeanExitLayer).ToArray(),
        };
        string statsPath = Path.Combine(outDir, "stats.json");
        await File.WriteAllTextAsync(statsPath, JsonSerializer.Serialize(summary, StatsJson));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{result.Images.Count} image(s) in {stats.WallSeconds:F2} s; layers {stats.LayersExecuted}/{stats.LayersFull} (acceleration ratio {stats.AccelerationRatio:P1}); stats in {statsPath}"));
    }

    private static async Task<int> ListModelsAsync(string address, TextWriter stdout, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new DiffusionService.DiffusionServiceClient(channel);
        var response = await client.ListModelsAsync(new ListModelsRequest(), cancellationToken: ct);
        foreach (var m in response.Models)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{m.Name}{(m.IsDefault ? " (default)" : "")}: {m.Channels}x{m.Height}x{m.Width}, depth {m.Depth}, {m.NumClasses} classes, threshold {m.DefaultThreshold}, {m.Backend}/{m.ExecutionProvider} — {m.Description}"));
        }
        return ExitCodes.Ok;
    }

    private static async Task<int> HealthAsync(string address, TextWriter stdout, CancellationToken ct)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new Health.HealthClient(channel);
        var reply = await client.CheckAsync(new HealthCheckRequest { Service = "" }, cancellationToken: ct);
        await stdout.WriteLineAsync(reply.Status.ToString());
        return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Ok : ExitCodes.Unavailable;
    }
}
