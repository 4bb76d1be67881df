using System.Diagnostics;
using System.Text.Json;

namespace AdaDiff.Client.Tests;

/// <summary>Runs the README's curl example (HTTP/JSON transcoding) as written, against a real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ReadmeCurlTests(ServerFixture fixture)
{
    private const string Marker = "<!-- tested: tests/AdaDiff.Client.Tests/ReadmeCurlTests.cs";

    [Fact]
    public async Task ReadmeCurlExample_ListsModelsThenStreamsStepsAndResult()
    {
        string script = ReadmeBlock().Replace("127.0.0.1:9464", $"127.0.0.1:{fixture.Server.HttpPort}", StringComparison.Ordinal);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using Process bash = Process.Start(start)!;
        Task<string> stdout = bash.StandardOutput.ReadToEndAsync();
        Task<string> stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(bash.ExitCode == 0, await stderr);

        // The first line is the models list; then one object per step and the result.
        string[] lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using JsonDocument models = JsonDocument.Parse(ModelsPart(lines[0], out string rest));
        Assert.True(models.RootElement.GetProperty("models")[0].GetProperty("isDefault").GetBoolean());
        Assert.InRange(models.RootElement.GetProperty("models")[0].GetProperty("defaultGuidanceScale").GetSingle(), 1f, 20f);
        string[] events = [rest, .. lines.Skip(1)];
        var parsed = events.Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(11, parsed.Count);
        for (int i = 0; i < 10; i++)
        {
            JsonElement step = parsed[i].GetProperty("step");
            Assert.Equal(1, step.GetProperty("exitLayers").GetArrayLength());
            Assert.Equal(i, step.TryGetProperty("stepIndex", out JsonElement index) ? index.GetInt32() : 0); // 0 is omitted in JSON
        }
        JsonElement image = parsed[10].GetProperty("result").GetProperty("images")[0];
        byte[] png = Convert.FromBase64String(image.GetProperty("png").GetString()!);
        Assert.Equal((byte)0x89, png[0]);
        Assert.Equal("42", image.GetProperty("seed").ToString()); // a number or, in strict proto JSON, a string
    }

    /// <summary>curl prints the models JSON without a trailing newline: split it from the first stream event.</summary>
    private static string ModelsPart(string line, out string rest)
    {
        int depth = 0;
        for (int i = 0; i < line.Length; i++)
        {
            depth += line[i] switch { '{' => 1, '}' => -1, _ => 0 };
            if (depth == 0)
            {
                rest = line[(i + 1)..];
                return line[..(i + 1)];
            }
        }
        rest = "";
        return line;
    }

    private static string ReadmeBlock()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "README.md"));
        int marker = readme.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(marker >= 0, "README.md lost its tested curl example");
        int open = readme.IndexOf("```bash\n", marker, StringComparison.Ordinal) + "```bash\n".Length;
        int close = readme.IndexOf("```", open, StringComparison.Ordinal);
        return readme[open..close];
    }
}
