using System.Runtime.CompilerServices;
using AdaDiff.Client.Internal;
using AdaDiff.Grpc.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace AdaDiff.Client;

/// <summary>
/// Client of an AdaDiff server. Thread-safe; create one per server (or headless service) and reuse it.
/// Errors surface as <see cref="RpcException"/>; <see cref="RpcErrors"/> reads their details.
/// </summary>
public sealed class AdaDiffClient : IDisposable
{
    private readonly GrpcChannel channel;
    private readonly ClientCredentials credentials;
    private readonly AdaDiffClientOptions options;
    private readonly DiffusionService.DiffusionServiceClient diffusion;
    private readonly Health.HealthClient health;

    /// <summary>
    /// Connects (lazily) to <paramref name="options"/>' address. The credentials files it names (token, CA, client
    /// certificate and key) are read here: a missing or unusable one throws now, not at the first call.
    /// </summary>
    /// <exception cref="ArgumentException">Settings that contradict each other or the address (a CA file with http://).</exception>
    /// <exception cref="FileNotFoundException">A token, CA, certificate or key file that does not exist.</exception>
    /// <exception cref="InvalidDataException">A token file without exactly one token, or a CA file without a PEM certificate.</exception>
    /// <exception cref="FormatException">A <see cref="AdaDiffClientOptions.Token"/> that is blank or holds spaces or non-ASCII characters.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A client certificate or key that cannot be loaded.</exception>
    public AdaDiffClient(AdaDiffClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        credentials = ClientCredentials.Load(options);
        try
        {
            channel = ChannelFactory.Create(options, credentials);
        }
        catch
        {
            credentials.Dispose();
            throw;
        }
        CallInvoker invoker = ChannelFactory.WithToken(channel, credentials);
        diffusion = new DiffusionService.DiffusionServiceClient(invoker);
        health = new Health.HealthClient(invoker);
    }

    /// <summary>Connects (lazily) to one server at <paramref name="address"/> (e.g. <c>http://127.0.0.1:50051</c>) with default options.</summary>
    public AdaDiffClient(string address)
        : this(new AdaDiffClientOptions { Address = new Uri(address) })
    {
    }

    /// <summary>The generated gRPC client, for calls this wrapper does not cover (with the same credentials).</summary>
    public DiffusionService.DiffusionServiceClient Raw => diffusion;

    /// <summary>
    /// Generates images: yields one <see cref="StepProgress"/> per sampling step, in order, then one
    /// <see cref="GenerationCompleted"/>. Cancelling <paramref name="cancellationToken"/> or passing the
    /// <paramref name="timeout"/> (default: the options' DefaultTimeout) stops the server's work before its next layer.
    /// </summary>
    /// <exception cref="RpcException">The server refused or failed the call (after retries where allowed).</exception>
    public async IAsyncEnumerable<GenerationEvent> GenerateAsync(
        GenerateRequest request, TimeSpan? timeout = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using AsyncServerStreamingCall<GenerateResponse> call = diffusion.Generate(request, deadline: Deadline(timeout), cancellationToken: cancellationToken);
        long executed = 0, full = 0;
        int steps = 0;
        bool completed = false;
        await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            switch (response.EventCase)
            {
                case GenerateResponse.EventOneofCase.Step:
                    StepUpdate step = response.Step;
                    foreach (uint layer in step.ExitLayers)
                    {
                        executed += layer;
                        full += step.FullDepth;
                    }
                    steps++;
                    yield return new StepProgress(step, steps, executed, full);
                    break;
                case GenerateResponse.EventOneofCase.Result:
                    completed = true;
                    yield return new GenerationCompleted(response.Result);
                    break;
                default:
                    break; // an event kind newer than this client: skip it
            }
        }
        if (!completed)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The Generate stream ended without a result."));
        }
    }

    /// <summary>Generates and returns only the result; <paramref name="onStep"/> sees each step if given.</summary>
    public async Task<GenerationResult> GenerateToEndAsync(
        GenerateRequest request, Action<StepProgress>? onStep = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await foreach (GenerationEvent e in GenerateAsync(request, timeout, cancellationToken))
        {
            switch (e)
            {
                case StepProgress step:
                    onStep?.Invoke(step);
                    break;
                case GenerationCompleted done:
                    return done.Result;
            }
        }
        throw new RpcException(new Status(StatusCode.Internal, "The Generate stream ended without a result."));
    }

    /// <summary>Lists the served models, default first.</summary>
    public async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ListModelsResponse response = await diffusion.ListModelsAsync(new ListModelsRequest(), deadline: Deadline(timeout), cancellationToken: cancellationToken);
        return response.Models;
    }

    /// <summary>Describes one model; NOT_FOUND if the server does not serve it.</summary>
    public async Task<ModelInfo> GetModelAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        await diffusion.GetModelAsync(new GetModelRequest { Name = name }, deadline: Deadline(timeout), cancellationToken: cancellationToken);

    /// <summary>Asks grpc.health.v1 about <paramref name="service"/> ("" = the whole server).</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckHealthAsync(string service = "", TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        HealthCheckResponse reply = await health.CheckAsync(new HealthCheckRequest { Service = service }, deadline: Deadline(timeout), cancellationToken: cancellationToken);
        return reply.Status;
    }

    private DateTime? Deadline(TimeSpan? timeout)
    {
        TimeSpan? t = timeout ?? options.DefaultTimeout;
        return t is null ? null : DateTime.UtcNow + t.Value;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        channel.Dispose();
        credentials.Dispose();
    }
}
