using System.Text;
using System.Text.Json;
using AdaDiff.Client;
using AdaDiff.Grpc.V1;

namespace AdaDiff.Cli.Internal;

/// <summary>Writes <c>--json</c> output: one JSON object a line, each with an <c>event</c> field.</summary>
internal sealed class JsonEvents(TextWriter output)
{
    public Task StepAsync(StepProgress step, int totalSteps) => WriteAsync(w =>
    {
        StepUpdate u = step.Update;
        w.WriteString("event", "step");
        w.WriteNumber("step", step.StepsSoFar);
        w.WriteNumber("steps", totalSteps);
        w.WriteNumber("stepIndex", u.StepIndex);
        w.WriteNumber("timestep", u.Timestep);
        JsonArrays.WriteLayers(w, "exitLayers", u.ExitLayers);
        JsonArrays.Write(w, "certainties", u.Certainties, static (w, c) =>
        {
            if (float.IsFinite(c))
            {
                w.WriteNumberValue(c);
            }
            else
            {
                w.WriteNullValue(); // NaN under FULL_DEPTH / FIXED_DEPTH: JSON has no NaN
            }
        });
        w.WriteNumber("fullDepth", u.FullDepth);
        w.WriteNumber("accelerationRatio", step.AccelerationRatio);
        w.WriteNumber("elapsedSeconds", u.ElapsedSeconds);
        w.WriteNumber("previews", u.PreviewPng.Count);
    });

    public Task FileAsync(string kind, string path, int? index = null, ulong? seed = null) => WriteAsync(w =>
    {
        w.WriteString("event", kind);
        if (index is int i)
        {
            w.WriteNumber("index", i);
        }
        if (seed is ulong s)
        {
            w.WriteNumber("seed", s);
        }
        w.WriteString("path", path);
    });

    public Task ResultAsync(GenerationResult result, string statsPath) => WriteAsync(w =>
    {
        w.WriteString("event", "result");
        w.WriteString("model", result.Model);
        w.WriteNumber("images", result.Images.Count);
        w.WritePropertyName("stats");
        StatsFile.WriteStats(w, result.Stats);
        w.WriteString("statsPath", statsPath);
    });

    public Task ModelAsync(ModelInfo m) => WriteAsync(w =>
    {
        w.WriteString("event", "model");
        w.WriteString("name", m.Name);
        w.WriteBoolean("isDefault", m.IsDefault);
        w.WriteString("description", m.Description);
        w.WriteNumber("depth", m.Depth);
        w.WriteNumber("channels", m.Channels);
        w.WriteNumber("height", m.Height);
        w.WriteNumber("width", m.Width);
        w.WriteNumber("numClasses", m.NumClasses);
        JsonArrays.WriteStrings(w, "classNames", m.ClassNames);
        w.WriteString("conditioning", m.Conditioning == Conditioning.Text ? "text" : "class");
        w.WriteNumber("maxPromptTokens", m.MaxPromptTokens);
        JsonArrays.WriteStrings(w, "promptVocabulary", m.PromptVocabulary);
        w.WriteNumber("defaultThreshold", m.DefaultThreshold);
        w.WriteNumber("defaultGuidanceScale", m.DefaultGuidanceScale);
        w.WriteString("backend", m.Backend);
        w.WriteString("executionProvider", m.ExecutionProvider);
    });

    public Task HealthAsync(string status) => WriteAsync(w =>
    {
        w.WriteString("event", "health");
        w.WriteString("status", status);
    });

    public Task ErrorAsync(string code, int exitCode, string message) => WriteAsync(w =>
    {
        w.WriteString("event", "error");
        w.WriteString("code", code);
        w.WriteNumber("exitCode", exitCode);
        w.WriteString("message", message);
    });

    private async Task WriteAsync(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray()));
        await output.FlushAsync();
    }
}
