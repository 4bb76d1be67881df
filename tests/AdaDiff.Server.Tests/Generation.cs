using AdaDiff.Grpc.V1;
using Grpc.Core;

namespace AdaDiff.Server.Tests;

/// <summary>A finished Generate call: its step updates in order and its result.</summary>
public sealed record Generation(IReadOnlyList<StepUpdate> Steps, GenerationResult Result)
{
    /// <summary>Runs Generate to the end; fails if the stream is not steps-then-one-result.</summary>
    public static async Task<Generation> RunAsync(DiffusionService.DiffusionServiceClient client, GenerateRequest request, CancellationToken cancellationToken = default)
    {
        List<StepUpdate> steps = [];
        GenerationResult? result = null;
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(request, deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: cancellationToken);
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
