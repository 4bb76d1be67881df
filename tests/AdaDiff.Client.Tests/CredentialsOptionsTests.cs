using AdaDiff.Client.Internal;

namespace AdaDiff.Client.Tests;

/// <summary>Credentials settings the library refuses when the client is created, before any call, each with a message naming the fault.</summary>
public sealed class CredentialsOptionsTests : IDisposable
{
    private readonly TestCredentials files = new();

    private static AdaDiffClientOptions Https(Action<AdaDiffClientOptions> set)
    {
        var options = new AdaDiffClientOptions { Address = new Uri("https://127.0.0.1:50051") };
        set(options);
        return options;
    }

    [Fact]
    public void TokenFile_TrimmedAndCommentsSkipped()
    {
        Assert.Equal(TestCredentials.Token, ClientCredentials.ReadTokenFile(files.TokenFile));
        Assert.Equal(TestCredentials.Token, ClientCredentials.ReadTokenFile(files.ServerTokenFile)); // a server file of one token
    }

    [Fact]
    public void TokenFile_Missing_FileNotFoundNamingIt()
    {
        string missing = Path.Combine(files.Folder, "no-such-token");
        var e = Assert.Throws<FileNotFoundException>(() => new AdaDiffClient(new AdaDiffClientOptions { TokenFile = missing }));
        Assert.Equal($"The token file {missing} does not exist.", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\n")]
    [InlineData("# only a comment\n")]
    public void TokenFile_Empty_InvalidDataNamingIt(string text)
    {
        string empty = files.Write("empty-token", text);
        var e = Assert.Throws<InvalidDataException>(() => new AdaDiffClient(new AdaDiffClientOptions { TokenFile = empty }));
        Assert.Equal($"The token file {empty} is empty; it must hold the bearer token.", e.Message);
    }

    [Fact]
    public void TokenFile_TwoTokensOrASpace_InvalidData()
    {
        string two = files.Write("two-tokens", "first\nsecond\n");
        Assert.Contains("holds 2 tokens", Assert.Throws<InvalidDataException>(() => new AdaDiffClient(new AdaDiffClientOptions { TokenFile = two })).Message, StringComparison.Ordinal);
        string spaced = files.Write("spaced-token", "Bearer abc\n");
        Assert.Contains("holds a space", Assert.Throws<InvalidDataException>(() => new AdaDiffClient(new AdaDiffClientOptions { TokenFile = spaced })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_BlankOrWithSpaceOrWithTokenFile_Refused()
    {
        Assert.Equal("The token is empty.", Assert.Throws<FormatException>(() => new AdaDiffClient(new AdaDiffClientOptions { Token = "  " })).Message);
        Assert.Contains("holds a space", Assert.Throws<FormatException>(() => new AdaDiffClient(new AdaDiffClientOptions { Token = "a b" })).Message, StringComparison.Ordinal);
        Assert.Contains("Both Token and TokenFile", Assert.Throws<ArgumentException>(() =>
            new AdaDiffClient(new AdaDiffClientOptions { Token = "a", TokenFile = files.TokenFile })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsSettings_WithAPlaintextAddress_Refused()
    {
        Assert.Contains("plaintext", Assert.Throws<ArgumentException>(() => new AdaDiffClient(new AdaDiffClientOptions { CaFile = files.CaFile })).Message, StringComparison.Ordinal);
        Assert.Contains("plaintext", Assert.Throws<ArgumentException>(() => new AdaDiffClient(new AdaDiffClientOptions
        {
            ClientCertificateFile = files.ClientCertificateFile, ClientKeyFile = files.ClientKeyFile,
        })).Message, StringComparison.Ordinal);
        Assert.Contains("UseTls", Assert.Throws<ArgumentException>(() => new AdaDiffClient(new AdaDiffClientOptions { UseTls = true })).Message, StringComparison.Ordinal);
        using var dns = new AdaDiffClient(new AdaDiffClientOptions { Address = new Uri("dns:///localhost:50051"), UseTls = true, CaFile = files.CaFile }); // fine
    }

    [Fact]
    public void CaAndClientCertificateFiles_MissingOrNotPem_Refused()
    {
        string missing = Path.Combine(files.Folder, "no-such.crt");
        Assert.Equal($"The CA file {missing} does not exist.", Assert.Throws<FileNotFoundException>(() => new AdaDiffClient(Https(o => o.CaFile = missing))).Message);
        Assert.Contains("holds no PEM certificate", Assert.Throws<InvalidDataException>(() => new AdaDiffClient(Https(o => o.CaFile = files.TokenFile))).Message, StringComparison.Ordinal);
        Assert.Contains("needs both", Assert.Throws<ArgumentException>(() => new AdaDiffClient(Https(o => o.ClientCertificateFile = files.ClientCertificateFile))).Message, StringComparison.Ordinal);
        var wrongKey = Assert.Throws<System.Security.Cryptography.CryptographicException>(() => new AdaDiffClient(Https(o =>
        {
            o.ClientCertificateFile = files.ClientCertificateFile;
            o.ClientKeyFile = files.ServerKeyFile; // another certificate's key
        })));
        Assert.Contains(files.ClientCertificateFile, wrongKey.Message, StringComparison.Ordinal);
        using var fine = new AdaDiffClient(Https(o =>
        {
            o.CaFile = files.CaFile;
            o.ClientCertificateFile = files.ClientCertificateFile;
            o.ClientKeyFile = files.ClientKeyFile;
            o.TokenFile = files.TokenFile;
        }));
    }

    public void Dispose() => files.Dispose();
}
