using System.CommandLine;
using System.Globalization;
using AdaDiff.Cli.Internal;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Spectre.Console;
using static AdaDiff.Cli.CliApp;

namespace AdaDiff.Cli.Commands;

/// <summary>
/// <c>adadiff generate</c>: streams a generation, showing every step's exit depths (a live view on a terminal, a line
/// a step otherwise, JSON events with --json), then writes the images, the denoising strip and stats.json.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(ConnectionOptions connection, TextWriter stdout, TextWriter stderr)
    {
        var options = new GenerateOptions();
        var generate = new Command("generate", "Generate images and watch every step's exit depths");
        foreach (Option option in options.All)
        {
            generate.Options.Add(option);
        }
        generate.SetAction((parse, ct) =>
        {
            Output output = connection.Output(parse, stdout, stderr);
            if (parse.GetValue(options.ClassLabel) is < 0)
            {
                return output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, "error: --class must be 0 or more.");
            }
            if (parse.GetValue(options.ClassLabel) is not null && parse.GetValue(options.Prompt) is not null)
            {
                return output.FailAsync("INVALID_ARGUMENT", ExitCodes.BadArgument, "error: give --class or --prompt, not both (a model takes one kind of condition).");
            }
            GenerateRequest request = options.Request(parse);
            bool live = !output.Json && !parse.GetValue(options.Plain) && IsInteractiveConsole(stdout);
            return CallGuard.RunAsync(output, connection.Connection(parse), client => RunAsync(
                client, request, parse.GetValue(options.OutDir)!, TimeSpan.FromSeconds(parse.GetValue(options.Timeout)), output, live, ct));
        });
        return generate;
    }

    /// <summary>A terminal a person watches: the process console, not redirected, not CI, and able to redraw.</summary>
    private static bool IsInteractiveConsole(TextWriter stdout) =>
        ReferenceEquals(stdout, Console.Out)
        && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb")
        && AnsiConsole.Profile.Capabilities.Interactive;

    private static async Task<int> RunAsync(AdaDiffClient client, GenerateRequest request, string outDir, TimeSpan timeout, Output output, bool live, CancellationToken ct)
    {
        var watch = new GenerationWatch(client, request, timeout, output);
        if (live)
        {
            var view = new LiveView(watch.TotalSteps, (int)Math.Max(1, request.NumImages), request.Model.Length == 0 ? "default model" : request.Model);
            await AnsiConsole.Live(view.Render()).AutoClear(false).StartAsync(async ctx =>
            {
                await watch.RunAsync(step =>
                {
                    view.Update(step);
                    ctx.UpdateTarget(view.Render());
                    ctx.Refresh();
                }, ct);
            });
        }
        else
        {
            await watch.RunAsync(null, ct);
        }
        GenerationResult result = watch.Result
            ?? throw new RpcException(new global::Grpc.Core.Status(StatusCode.Internal, "The stream ended without a result."));
        await GenerationFiles.WriteAsync(result, watch.Strip, watch.ExitsPerStep, outDir, output);
        return ExitCodes.Ok;
    }

    /// <summary>One generation's stream: each step's exit layers and preview kept, and shown as it arrives; the result at the end.</summary>
    private sealed class GenerationWatch(AdaDiffClient client, GenerateRequest request, TimeSpan timeout, Output output)
    {
        /// <summary>The steps the server will run: the request's, or the sampler's default.</summary>
        public int TotalSteps { get; } = (int)(request.Steps > 0 ? request.Steps : request.Sampler switch
        {
            Sampler.Ddpm => 1000u,
            Sampler.DpmSolverPp2M => 20u,
            _ => 50u,
        });

        public DenoisingStrip Strip { get; } = new();

        public List<uint[]> ExitsPerStep { get; } = [];

        public GenerationResult? Result { get; private set; }

        /// <summary>Reads the stream to its end; each step goes to <paramref name="onLive"/> when given, else to the output.</summary>
        public async Task RunAsync(Action<StepProgress>? onLive, CancellationToken ct)
        {
            await foreach (GenerationEvent e in client.GenerateAsync(request, timeout, ct))
            {
                switch (e)
                {
                    case StepProgress step:
                        ExitsPerStep.Add([.. step.ExitLayers]);
                        Strip.Add(step);
                        if (onLive is not null)
                        {
                            onLive(step);
                        }
                        else
                        {
                            await ShowAsync(step);
                        }
                        break;
                    case GenerationCompleted done:
                        Result = done.Result;
                        break;
                }
            }
        }

        private async Task ShowAsync(StepProgress step)
        {
            if (output.Json)
            {
                await output.Events.StepAsync(step, TotalSteps);
                return;
            }
            await output.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"step {step.StepsSoFar,4}  t={step.Update.Timestep,4}  exit layers [{string.Join(' ', step.ExitLayers)}] of {step.Update.FullDepth}  layers saved {step.AccelerationRatio:P1}"));
        }
    }
}
