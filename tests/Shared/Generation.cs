using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.Tests.Shared;

/// <summary>A finished Generate call: its step updates in order and its result.</summary>
internal sealed record Generation(IReadOnlyList<StepUpdate> Steps, GenerationResult Result)
{
    /// <summary>
    /// A guard against a hung stream, not a speed limit: 5 minutes (one copy had 2), since the conformance tests run
    /// two single-threaded servers side by side on a loaded 2-core machine.
    /// </summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    /// <summary>Runs Generate to the end; fails if the stream is not steps-then-one-result.</summary>
    public static async Task<Generation> RunAsync(DiffusionService.DiffusionServiceClient client, GenerateRequest request, CancellationToken cancellationToken = default)
    {
        List<StepUpdate> steps = [];
        GenerationResult? result = null;
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(request, deadline: DateTime.UtcNow.Add(Deadline), cancellationToken: cancellationToken);
        await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            Assert.Null(result); // nothing after the result
            switch (response.EventCase)
            {
                case GenerateResponse.EventOneofCase.Step:
                    steps.Add(response.Step);
                    break;
                case GenerateResponse.EventOneofCase.Result:
                    result = response.Result;
                    break;
                default:
                    Assert.Fail($"unexpected event {response.EventCase}");
                    break;
            }
        }
        Assert.NotNull(result);
        return new Generation(steps, result);
    }
}
