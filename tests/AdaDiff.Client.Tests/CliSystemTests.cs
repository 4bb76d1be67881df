using System.Text.Json;
using AdaDiff.Cli;

namespace AdaDiff.Client.Tests;

[Collection(ServerCollection.Name)]
public sealed class CliSystemTests(ServerFixture fixture) : IDisposable
{
    private readonly string @out = Directory.CreateTempSubdirectory("adadiff-cli-").FullName;

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await CliApp.RunAsync(["--server", fixture.Server.GrpcAddress, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Generate_Plain_WritesPngsStripAndStats()
    {
        var (code, output, err) = await RunAsync("generate", "--class", "7", "-n", "2", "--steps", "4", "--seed", "42", "--preview-every", "2", "--out", @out);

        Assert.True(code == CliApp.ExitCodes.Ok, err);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Count(l => l.StartsWith("step ", StringComparison.Ordinal)));
        Assert.DoesNotContain('\u001b', output); // plain: no ANSI escapes without a terminal
        Assert.True(File.Exists(Path.Combine(@out, "image-0-seed42.png")));
        Assert.True(File.Exists(Path.Combine(@out, "image-1-seed43.png")));
        PngFile strip = PngFile.Read(Path.Combine(@out, "strip.png")); // every pixel decodes
        // two preview columns (steps 2 and 4), two image rows: wider and taller than two 28 px previews
        Assert.True(strip.Width > 2 * 28 && strip.Height > 2 * 28, $"{strip.Width}x{strip.Height}");
        using JsonDocument stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(@out, "stats.json")));
        Assert.Equal(4, stats.RootElement.GetProperty("exitLayersPerStep").GetArrayLength());
        Assert.Equal(2, stats.RootElement.GetProperty("seeds").GetArrayLength());
    }

    [Fact]
    public async Task Generate_Json_OneObjectPerLine()
    {
        var (code, output, err) = await RunAsync("generate", "--json", "--class", "1", "--steps", "3", "--seed", "5", "--out", @out);

        Assert.True(code == CliApp.ExitCodes.Ok, err);
        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["step", "step", "step", "image", "strip", "result"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(3, events[2].GetProperty("step").GetInt32());
        Assert.Equal(1, events[0].GetProperty("exitLayers").GetArrayLength());
        Assert.InRange(events[5].GetProperty("stats").GetProperty("accelerationRatio").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Generate_UnknownModel_ExitsNotFoundWithHint()
    {
        var (code, _, err) = await RunAsync("generate", "--model", "no-such-model", "--steps", "2", "--out", @out);
        Assert.Equal(CliApp.ExitCodes.NotFound, code);
        Assert.Contains("adadiff models", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_BadRequest_ExitsBadArgumentNamingField()
    {
        var (code, _, err) = await RunAsync("generate", "--steps", "100000", "--out", @out);
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("steps:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_PromptToTheClassModel_SentAndRefusedNamingPrompt()
    {
        // The default model takes class labels: the server's answer names the prompt field, so the prompt went out.
        var (code, _, err) = await RunAsync("generate", "--prompt", "a small dark ankle boot", "--steps", "2", "--out", @out);
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("prompt:", err, StringComparison.Ordinal);
        Assert.Contains("class-conditional", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_ClassAndPrompt_ExitsBadArgumentBeforeCalling()
    {
        var (code, _, err) = await RunAsync("generate", "--class", "1", "--prompt", "a boot", "--out", @out);
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("--class or --prompt", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_BadOption_ExitsBadArgument()
    {
        var (code, _, err) = await RunAsync("generate", "--sampler", "euler");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("euler", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_Json_ListsDefault()
    {
        var (code, output, _) = await RunAsync("models", "--json");
        Assert.Equal(CliApp.ExitCodes.Ok, code);
        JsonElement first = JsonDocument.Parse(output.Split('\n')[0]).RootElement;
        Assert.True(first.GetProperty("isDefault").GetBoolean());
        Assert.Equal(28, first.GetProperty("width").GetInt32());
        Assert.InRange(first.GetProperty("defaultGuidanceScale").GetSingle(), 1f, 20f);
    }

    [Fact]
    public async Task Models_Plain_ShowsDefaultThresholdAndGuidance()
    {
        var (code, output, _) = await RunAsync("models");
        Assert.Equal(CliApp.ExitCodes.Ok, code);
        Assert.Matches(@"^fashion-mnist-uvit \(default\): .*, threshold [0-9.]+, guidance [0-9.]+, ", output.Split('\n')[0]);
    }

    [Fact]
    public async Task Health_ServerDown_ExitsUnavailable()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int port = ServerProcess.FreePort(); // nothing listens there
        int code = await CliApp.RunAsync(["--server", $"http://127.0.0.1:{port}", "--attempts", "1", "--json", "health"], stdout, stderr);
        Assert.Equal(CliApp.ExitCodes.Unavailable, code);
        Assert.Contains("server unavailable", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal("UNAVAILABLE", JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("code").GetString());
    }

    public void Dispose() => Directory.Delete(@out, recursive: true);
}
