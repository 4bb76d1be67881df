using System.Net;
using System.Text;
using System.Text.Json;
using AdaDiff.Backends.TorchSharp;
using AdaDiff.Backends.TorchSharp.Model;
using ModelManifest = AdaDiff.Engine.ModelManifest;
using NoiseScheduleSpec = AdaDiff.Engine.NoiseScheduleSpec;
using TextConditioning = AdaDiff.Engine.TextConditioning;
using WeightsFile = AdaDiff.Engine.WeightsFile;
using AdaDiff.Engine.Text;
using AdaDiff.Grpc.V1;
using AdaDiff.Packaging;
using Grpc.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace AdaDiff.Server.Tests;

/// <summary>
/// The server on a repository holding the class package and a tiny random text package (<see cref="UViTConfig.TinyText"/>
/// with its <c>prompt-vocabulary.json</c>): prompts reach the text model, each model refuses the other's condition
/// naming the field, bad prompts are refused, ListModels tells the two apart. In its own collection
/// (<see cref="RepositoryServerTests"/>).
/// </summary>
[Collection(Name)]
public sealed class TextModelTests() : RepositoryServerTests(BuildRepository())
{
    public const string Name = "text-model";

    private const string ClassModel = "fashion-mnist-uvit";

    private const string TextModel = "tiny-text";

    private static readonly string[] Words = ["a", "ankle", "boot", "bright", "dark", "dress", "small", "wide"];

    [Fact]
    public async Task ListModels_BothModels_ReportTheirConditioning()
    {
        ListModelsResponse list = await Server.Client.ListModelsAsync(new ListModelsRequest());

        ModelInfo classModel = Assert.Single(list.Models, m => m.Name == ClassModel);
        ModelInfo textModel = Assert.Single(list.Models, m => m.Name == TextModel);
        Assert.Equal(Conditioning.Class, classModel.Conditioning);
        Assert.Equal(0u, classModel.MaxPromptTokens);
        Assert.Empty(classModel.PromptVocabulary);
        Assert.Equal(Conditioning.Text, textModel.Conditioning);
        Assert.Equal(7u, textModel.MaxPromptTokens);
        Assert.Equal(Words, textModel.PromptVocabulary);
        Assert.Equal(0u, textModel.NumClasses);
        Assert.Empty(textModel.UnavailableReason);
    }

    [Fact]
    public async Task Generate_Prompt_StreamsExitsAndImages()
    {
        Generation g = await Generation.RunAsync(Server.Client, Request("a small dark boot", seed: 11, guidance: 2f));

        Assert.Equal(3, g.Steps.Count);
        Assert.All(g.Steps, s => Assert.All(s.ExitLayers, layer => Assert.InRange(layer, 1u, 5u)));
        Assert.All(g.Steps, s => Assert.Equal(2, s.ExitLayers.Count));
        Assert.Equal(2, g.Result.Images.Count);
        Assert.All(g.Result.Images, i => Assert.NotEmpty(i.Png));
        Assert.Equal(["a", "small", "dark", "boot"], g.Result.Settings.PromptWords);
        Assert.Equal(0u, g.Result.Settings.PromptDroppedWords);
        Assert.Equal(2f, g.Result.Settings.GuidanceScale);
    }

    [Fact]
    public async Task Generate_SameSeedAndPrompt_SameBytes_OtherPromptOtherBytes()
    {
        Generation first = await Generation.RunAsync(Server.Client, Request("a bright dress", seed: 5));
        Generation again = await Generation.RunAsync(Server.Client, Request("A  Bright DRESS", seed: 5)); // the same words once normalised
        Generation other = await Generation.RunAsync(Server.Client, Request("a small wide boot", seed: 5));
        GenerateRequest none = Request("unused", seed: 5);
        none.ClearCondition();
        Generation unconditional = await Generation.RunAsync(Server.Client, none);

        Assert.Equal(Pngs(first), Pngs(again));
        // The prompt reaches the network: other words, or none, give other images from the same noise.
        Assert.NotEqual(Pngs(first), Pngs(other));
        Assert.NotEqual(Pngs(first), Pngs(unconditional));
        Assert.Empty(unconditional.Result.Settings.PromptWords);
    }

    [Fact]
    public async Task Generate_LongPrompt_CutAndReported()
    {
        string prompt = string.Join(' ', Enumerable.Repeat("dark", 9)); // the model reads 7 − 2 = 5 words

        Generation g = await Generation.RunAsync(Server.Client, Request(prompt, seed: 3));

        Assert.Equal(5, g.Result.Settings.PromptWords.Count);
        Assert.Equal(4u, g.Result.Settings.PromptDroppedWords);
    }

    [Fact]
    public async Task Generate_ClassLabelToTextModel_InvalidArgumentNamingClassLabel()
    {
        GenerateRequest request = Request("a boot", seed: 1);
        request.ClassLabel = 3;

        string description = await Refused(request, "class_label");

        Assert.Contains("prompt", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_PromptToClassModel_InvalidArgumentNamingPrompt()
    {
        GenerateRequest request = Request("a boot", seed: 1);
        request.Model = ClassModel;

        string description = await Refused(request, "prompt");

        Assert.Contains("class_label", description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("too long", "length")]
    [InlineData("a\u0007boot", "control character U+0007 at position 1")]
    [InlineData("a\tboot", "control character U+0009")]
    [InlineData("a dark\nboot", "control character U+000A")]
    [InlineData("a\u200Bboot", "U+200B")]
    [InlineData("a bad\uFFFDboot", "U+FFFD")]
    [InlineData("   ", "white space")]
    [InlineData("a red boot", "\"red\"")]
    public async Task Generate_BadPrompt_InvalidArgumentNamingPrompt(string prompt, string expected)
    {
        bool tooLong = prompt == "too long";
        GenerateRequest request = Request(tooLong ? new string('a', PromptValidator.MaxCharacters + 1) : prompt, seed: 1);

        string description = await Refused(request, "prompt");

        Assert.Contains(tooLong ? PromptValidator.MaxCharacters.ToString(System.Globalization.CultureInfo.InvariantCulture) : expected, description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_PromptOfMaxCharactersBeyondUtf16Units_JudgedOnItsWordsNotItsLength()
    {
        // 1024 characters, 2048 UTF-16 units: the contract counts characters, so this is not too long; its word is unknown.
        string boots = string.Concat(Enumerable.Repeat("👢", PromptValidator.MaxCharacters));

        string description = await Refused(Request(boots, seed: 1), "prompt");

        Assert.Contains("does not know", description, StringComparison.Ordinal);
        Assert.Contains("vocabulary is: a ankle boot", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpJson_Prompt_ReachesTheTextModel()
    {
        using HttpClient http = Server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>() is TestServer test
            ? test.CreateClient()
            : throw new InvalidOperationException("not a test server");
        http.BaseAddress = new Uri("http://localhost:9464");
        string body = "{\"model\":\"tiny-text\",\"prompt\":\"a dark boot\",\"numImages\":2,\"steps\":2,\"seed\":9,\"exitPolicy\":{\"mode\":\"EXIT_MODE_ADAPTIVE\",\"threshold\":0.5},\"stream\":{\"latentEncoding\":\"LATENT_ENCODING_NONE\"}}";

        using HttpResponseMessage response = await http.PostAsync(new Uri("/v1/generate", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Generation grpc = await Generation.RunAsync(Server.Client, Request("a dark boot", seed: 9, steps: 2));
        using HttpResponseMessage refused = await http.PostAsync(new Uri("/v1/generate", UriKind.Relative),
            new StringContent("{\"model\":\"tiny-text\",\"prompt\":\"a\\u0007boot\"}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"promptWords\"", text, StringComparison.Ordinal);
        string png = Convert.ToBase64String(grpc.Result.Images[0].Png.Span);
        Assert.Contains(png, System.Text.RegularExpressions.Regex.Unescape(text), StringComparison.Ordinal); // the same image as over gRPC ('+' comes \u002B-escaped)
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("prompt", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static GenerateRequest Request(string prompt, ulong seed, float guidance = 0f, uint steps = 3) => new()
    {
        Model = TextModel,
        NumImages = 2,
        Seed = seed,
        Steps = steps,
        Prompt = prompt,
        GuidanceScale = guidance,
        ExitPolicy = new ExitPolicy { Mode = ExitMode.Adaptive, Threshold = 0.5f },
        Stream = new StreamOptions { LatentEncoding = LatentEncoding.None },
    };

    private static string[] Pngs(Generation g) => [.. g.Result.Images.Select(i => Convert.ToBase64String(i.Png.Span))];

    /// <summary>Asserts INVALID_ARGUMENT with exactly one violation, on <paramref name="field"/>; returns its description.</summary>
    private async Task<string> Refused(GenerateRequest request, string field)
    {
        RpcException e = await Assert.ThrowsAsync<RpcException>(() => Generation.RunAsync(Server.Client, request));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal([field], ValidationTests.ViolatedFields(e));
        return e.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>()!.FieldViolations[0].Description;
    }

    /// <summary>A temporary repository: a copy of the class package and a tiny random text package with its vocabulary.</summary>
    private static string BuildRepository()
    {
        string repository = Directory.CreateTempSubdirectory("adadiff-text-models-").FullName;
        CopyPackage(repository, ClassModel);

        string textPackage = Directory.CreateDirectory(Path.Combine(repository, TextModel)).FullName;
        PromptVocabulary vocabulary = PromptVocabulary.Create(Words, maxTokens: 7);
        var text = TextConditioning.For(vocabulary, encoderDim: 16, encoderDepth: 1, encoderHeads: 2);
        ModelManifest manifest = UViTConfig.TinyText(text) with
        {
            Name = TextModel,
            NoiseSchedule = new NoiseScheduleSpec { Timesteps = 100 },
            Weights = new WeightsFile { File = ModelPackage.WeightsFileName },
        };
        manual_seed(17);
        using (var model = new UViT(manifest))
        {
            // Every parameter moved off its initialisation (a zero-initialised head would predict ε = 0 whatever the prompt).
            using var noGrad = no_grad();
            foreach ((string _, TorchSharp.torch.Tensor parameter) in model.named_parameters())
            {
                parameter.add_(randn(parameter.shape).mul(0.2));
            }
            UViTPackage.Save(textPackage, manifest, model);
        }
        vocabulary.Save(Path.Combine(textPackage, PromptVocabulary.FileName));
        return repository;
    }
}
