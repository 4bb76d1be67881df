using System.CommandLine;
using AdaDiff.Grpc.V1;

namespace AdaDiff.Cli.Commands;

/// <summary>The options of <c>adadiff generate</c> and the request they make.</summary>
internal sealed class GenerateOptions
{
    public GenerateOptions()
    {
        Sampler.AcceptOnlyFromAmong("ddim", "ddpm", "dpm++");
    }

    public Option<string> Model { get; } = new("--model") { Description = "Model name; empty for the server's default", DefaultValueFactory = _ => "" };

    public Option<int?> ClassLabel { get; } = new("--class") { Description = "Class index to generate, for a class-conditional model (omit for unconditional)" };

    public Option<string?> Prompt { get; } = new("--prompt") { Description = "Text prompt, for a text-conditional model (see `adadiff models`; omit for unconditional)" };

    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of the first image (0: server chooses)", DefaultValueFactory = _ => 0 };

    public Option<string> Sampler { get; } = new("--sampler") { Description = "ddim | ddpm | dpm++", DefaultValueFactory = _ => "ddim" };

    public Option<uint> Steps { get; } = new("--steps") { Description = "Sampling steps (0: sampler default)", DefaultValueFactory = _ => 0 };

    public Option<float> Threshold { get; } = new("--threshold") { Description = "Exit certainty threshold (0: model default)", DefaultValueFactory = _ => 0 };

    public Option<uint> MinLayers { get; } = new("--min-layers") { Description = "Earliest exit layer (0: model default)", DefaultValueFactory = _ => 0 };

    public Option<bool> FullDepth { get; } = new("--full-depth") { Description = "Run every layer (no early exits)" };

    public Option<uint> FixedDepth { get; } = new("--fixed-depth") { Description = "Exit every image at this layer (static truncation)", DefaultValueFactory = _ => 0 };

    public Option<float> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale (0: the model's default with --class or --prompt, else none; 1: none)", DefaultValueFactory = _ => 0 };

    public Option<uint> Images { get; } = new("--images", "-n") { Description = "Number of images", DefaultValueFactory = _ => 1 };

    public Option<string> OutDir { get; } = new("--out", "-o") { Description = "Folder for PNGs, strip.png and stats.json", DefaultValueFactory = _ => "out" };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "Deadline in seconds", DefaultValueFactory = _ => 600 };

    public Option<uint> PreviewEvery { get; } = new("--preview-every")
    {
        Description = "Preview every n steps (and the last) for the denoising strip (strip.png); 0: no previews, no strip",
        DefaultValueFactory = _ => 5,
    };

    public Option<bool> Plain { get; } = new("--plain") { Description = "Plain line-per-step output even on a terminal (always so without a TTY or under CI)" };

    /// <summary>The options in the order the command lists them.</summary>
    public IEnumerable<Option> All =>
        [Model, ClassLabel, Prompt, Seed, Sampler, Steps, Threshold, MinLayers, FullDepth, FixedDepth, Guidance, Images, OutDir, Timeout, PreviewEvery, Plain];

    /// <summary>The request the command line asks for (no latents streamed; previews for the strip).</summary>
    public GenerateRequest Request(ParseResult parse)
    {
        var request = new GenerateRequest
        {
            Model = parse.GetValue(Model) ?? "",
            NumImages = parse.GetValue(Images),
            Seed = parse.GetValue(Seed),
            Sampler = parse.GetValue(Sampler) switch
            {
                "ddpm" => Grpc.V1.Sampler.Ddpm,
                "dpm++" => Grpc.V1.Sampler.DpmSolverPp2M,
                _ => Grpc.V1.Sampler.Ddim,
            },
            Steps = parse.GetValue(Steps),
            GuidanceScale = parse.GetValue(Guidance),
            ExitPolicy = new ExitPolicy
            {
                Mode = parse.GetValue(FullDepth) ? ExitMode.FullDepth
                    : parse.GetValue(FixedDepth) > 0 ? ExitMode.FixedDepth
                    : ExitMode.Adaptive,
                Threshold = parse.GetValue(Threshold),
                MinLayers = parse.GetValue(MinLayers),
                FixedDepth = parse.GetValue(FixedDepth),
            },
            Stream = new StreamOptions { LatentEncoding = LatentEncoding.None, PreviewEveryNSteps = parse.GetValue(PreviewEvery) },
        };
        if (parse.GetValue(ClassLabel) is int label)
        {
            request.ClassLabel = (uint)label;
        }
        if (parse.GetValue(Prompt) is string prompt)
        {
            request.Prompt = prompt; // checked by the server, which names the problem (length, characters, unknown words)
        }
        return request;
    }
}
