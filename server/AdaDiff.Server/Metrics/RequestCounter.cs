using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;

namespace AdaDiff.Server.Metrics;

/// <summary>
/// Counts one model's Generate calls by final gRPC status (<c>adadiff.requests</c>, tags model, backend, code). The
/// 17 tag lists are built once, so counting allocates nothing; the code tag has at most 17 values.
/// </summary>
public sealed class RequestCounter
{
    private static readonly string[] CodeNames = BuildCodeNames();

    private readonly Counter<long> counter;
    private readonly TagList[] tags;

    /// <summary>Creates the counter of <paramref name="model"/> on <paramref name="backend"/>.</summary>
    public RequestCounter(AdaDiffMetrics metrics, string model, string backend)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        counter = metrics.Requests;
        tags = new TagList[CodeNames.Length];
        for (int i = 0; i < CodeNames.Length; i++)
        {
            tags[i] = new TagList { { "model", model }, { "backend", backend }, { "code", CodeNames[i] } };
        }
    }

    /// <summary>The code's name as gRPC spells it: <c>OK</c>, <c>RESOURCE_EXHAUSTED</c>, ….</summary>
    public static string CodeName(StatusCode code) => (uint)code < (uint)CodeNames.Length ? CodeNames[(int)code] : "UNKNOWN";

    /// <summary>One call ended with <paramref name="code"/>.</summary>
    public void Add(StatusCode code) => counter.Add(1, tags[(uint)code < (uint)tags.Length ? (int)code : (int)StatusCode.Unknown]);

    private static string[] BuildCodeNames()
    {
        var names = new string[(int)StatusCode.Unauthenticated + 1];
        for (int i = 0; i < names.Length; i++)
        {
            // OK, Cancelled, ResourceExhausted… → OK, CANCELLED, RESOURCE_EXHAUSTED (the names of grpc/status.proto).
            string pascal = ((StatusCode)i).ToString();
            var name = new System.Text.StringBuilder(pascal.Length + 4);
            for (int c = 0; c < pascal.Length; c++)
            {
                if (c > 0 && char.IsUpper(pascal[c]) && char.IsLower(pascal[c - 1]))
                {
                    name.Append('_');
                }
                name.Append(char.ToUpperInvariant(pascal[c]));
            }
            names[i] = name.ToString();
        }
        return names;
    }
}
