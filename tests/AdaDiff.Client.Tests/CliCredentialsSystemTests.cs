using System.Text.Json;
using AdaDiff.Cli;

namespace AdaDiff.Client.Tests;

/// <summary>The <c>adadiff</c> command line with --token-file, ADADIFF_TOKEN, --ca-file and a client certificate against servers that require them.</summary>
[Collection(SecureServersCollection.Name)]
public sealed class CliCredentialsSystemTests(SecureServersFixture fixture) : IDisposable
{
    private readonly string @out = Directory.CreateTempSubdirectory("adadiff-cli-credentials-").FullName;

    private TestCredentials Credentials => fixture.Credentials;

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task TokenFile_Plaintext_GeneratesAPng()
    {
        var (code, output, err) = await RunAsync("--server", fixture.TokenServer.GrpcAddress, "--token-file", Credentials.TokenFile,
            "generate", "--class", "2", "--steps", "2", "--seed", "4", "--preview-every", "0", "--out", @out);

        Assert.True(code == CliApp.ExitCodes.Ok, err + output);
        AssertPng28(Path.Combine(@out, "image-0-seed4.png"));
    }

    [Fact]
    public async Task NoToken_ExitsUnauthenticated_NamingTokenFileAndTheVariable()
    {
        var (code, output, err) = await RunAsync("--server", fixture.TokenServer.GrpcAddress, "--json", "generate", "--steps", "2", "--out", @out);

        Assert.Equal(CliApp.ExitCodes.Unauthenticated, code);
        Assert.Contains("the server requires a bearer token", err, StringComparison.Ordinal);
        Assert.Contains("--token-file FILE", err, StringComparison.Ordinal);
        Assert.Contains("ADADIFF_TOKEN", err, StringComparison.Ordinal);
        Assert.Equal("UNAUTHENTICATED", JsonDocument.Parse(output).RootElement.GetProperty("code").GetString());
        Assert.False(File.Exists(Path.Combine(@out, "stats.json")));
    }

    [Fact]
    public async Task WrongToken_ExitsUnauthenticated_SayingWhichTokenWasRefused()
    {
        var (code, _, err) = await RunAsync("--server", fixture.TokenServer.GrpcAddress, "--token-file", Credentials.WrongTokenFile, "models");

        Assert.Equal(CliApp.ExitCodes.Unauthenticated, code);
        Assert.Contains($"the server refused the bearer token from --token-file {Credentials.WrongTokenFile}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenFile_MissingOrEmpty_ExitsBadArgumentBeforeAnyCall()
    {
        string missing = Path.Combine(Credentials.Folder, "no-such-token");
        // An address where nothing listens: the file is refused before any connection is tried.
        string nowhere = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        var (code, _, err) = await RunAsync("--server", nowhere, "--token-file", missing, "models");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Equal($"error: the token file {missing} does not exist.", err.Trim());

        string empty = Credentials.Write("empty-token", "\n  \n");
        (code, _, err) = await RunAsync("--server", nowhere, "--token-file", empty, "health");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("is empty; it must hold the bearer token", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_CaFileAndTokenFile_GeneratesAPng()
    {
        var (code, output, err) = await RunAsync("--server", SecureServersFixture.HttpsAddress(fixture.TlsServer), "--ca-file", Credentials.CaFile,
            "--token-file", Credentials.TokenFile, "generate", "--class", "3", "--steps", "2", "--seed", "8", "--out", @out);

        Assert.True(code == CliApp.ExitCodes.Ok, err + output);
        AssertPng28(Path.Combine(@out, "image-0-seed8.png"));
    }

    [Fact]
    public async Task Tls_WithoutTheCaFile_ExitsUnavailable_NamingCaFile()
    {
        var (code, _, err) = await RunAsync("--server", SecureServersFixture.HttpsAddress(fixture.TlsServer), "--attempts", "1", "--token-file", Credentials.TokenFile, "models");

        Assert.Equal(CliApp.ExitCodes.Unavailable, code);
        Assert.Contains("TLS with", err, StringComparison.Ordinal);
        Assert.Contains("--ca-file", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MutualTls_ClientCertificate_ListsModels()
    {
        var (code, output, err) = await RunAsync("--server", SecureServersFixture.HttpsAddress(fixture.MutualTlsServer), "--ca-file", Credentials.CaFile,
            "--client-cert", Credentials.ClientCertificateFile, "--client-key", Credentials.ClientKeyFile, "--token-file", Credentials.TokenFile, "models");

        Assert.True(code == CliApp.ExitCodes.Ok, err);
        Assert.StartsWith("fashion-mnist-uvit (default)", output, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("--server", SecureServersFixture.HttpsAddress(fixture.MutualTlsServer), "--attempts", "1", "--ca-file", Credentials.CaFile,
            "--token-file", Credentials.TokenFile, "models");
        Assert.True(code == CliApp.ExitCodes.Unavailable && err.Contains("--client-cert", StringComparison.Ordinal), $"{code}: {err}");
    }

    [Fact]
    public async Task TlsOptions_WithAPlaintextAddress_ExitBadArgument()
    {
        var (code, _, err) = await RunAsync("--server", "http://127.0.0.1:50051", "--ca-file", Credentials.CaFile, "models");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("--ca-file needs TLS", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("--server", "http://127.0.0.1:50051", "--tls", "models");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("use https://", err, StringComparison.Ordinal);

        (code, _, err) = await RunAsync("--server", "https://127.0.0.1:50051", "--client-cert", Credentials.ClientCertificateFile, "models");
        Assert.Equal(CliApp.ExitCodes.BadArgument, code);
        Assert.Contains("--client-cert and --client-key go together", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdadiffTokenVariable_TheBuiltCommand_GeneratesOverTls_AndWithoutItIsRefused()
    {
        // The real executable, so the variable is the process's own and no other test sees it.
        string[] args = ["--server", SecureServersFixture.HttpsAddress(fixture.TlsServer), "--ca-file", Credentials.CaFile,
            "generate", "--class", "4", "--steps", "2", "--seed", "6", "--out", @out];
        var (code, output) = await RunExecutableAsync(TestCredentials.Token, args);
        Assert.True(code == 0, output);
        AssertPng28(Path.Combine(@out, "image-0-seed6.png"));

        (code, output) = await RunExecutableAsync("", args); // an empty variable is no token
        Assert.Equal(CliApp.ExitCodes.Unauthenticated, code);
        Assert.Contains("ADADIFF_TOKEN", output, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> RunExecutableAsync(string token, string[] args)
    {
        string exe = Path.Combine(TestPaths.RepositoryRoot, "clients", "dotnet", "AdaDiff.Cli", "bin",
            AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug", "net10.0", "linux-x64", "adadiff");
        return await Commands.RunAsync(null, new Dictionary<string, string?> { ["ADADIFF_TOKEN"] = token, ["CI"] = "true" }, TimeSpan.FromMinutes(2), exe, args);
    }

    private static void AssertPng28(string path)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        PngFile image = PngFile.Read(path); // decodes every pixel
        Assert.Equal((28, 28, 0, 8), (image.Width, image.Height, image.ColorType, image.BitDepth));
    }

    public void Dispose() => Directory.Delete(@out, recursive: true);
}
