using System.Security.Cryptography;
using System.Text;

namespace AdaDiff.Server.Security;

/// <summary>
/// The accepted bearer tokens, kept as SHA-256 digests and compared in constant time: how long a check takes says
/// nothing about how much of a guess was right, nor which token it was close to.
/// </summary>
public sealed class TokenSet
{
    private readonly byte[][] digests;

    private TokenSet(byte[][] digests) => this.digests = digests;

    /// <summary>Number of tokens accepted.</summary>
    public int Count => digests.Length;

    /// <summary>Reads a token file; throws <see cref="InvalidDataException"/> naming it when it holds no token.</summary>
    public static TokenSet Load(string path)
    {
        List<byte[]> digests = [];
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            digests.Add(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
        }
        return digests.Count == 0
            ? throw new InvalidDataException($"{path}: no token in the token file (one per line)")
            : new TokenSet([.. digests]);
    }

    /// <summary>True when the <c>authorization</c> header value is <c>Bearer &lt;an accepted token&gt;</c>.</summary>
    public bool Accepts(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(authorization.AsSpan(scheme.Length).Trim().ToString()), digest);
        bool accepted = false;
        foreach (byte[] known in digests)
        {
            accepted |= CryptographicOperations.FixedTimeEquals(known, digest); // every token compared, always
        }
        return accepted;
    }
}
