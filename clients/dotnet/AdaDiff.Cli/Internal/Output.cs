namespace AdaDiff.Cli.Internal;

/// <summary>Where a command's output goes: text or JSON lines on stdout, messages on stderr.</summary>
internal sealed class Output(TextWriter stdout, TextWriter stderr, bool json)
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
