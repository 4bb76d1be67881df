using AdaDiff.Grpc.V1;
using AdaDiff.Server.Models;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace AdaDiff.Server.Tests;

/// <summary>
/// The real server (real model repository, real backend) in process on a <see cref="TestServer"/>, with a
/// <see cref="GrpcChannel"/> over its handler and an in-memory metrics exporter. Shared by the "server" collection.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The gRPC port the fixture's options name; the channel's address carries it.</summary>
    public const int GrpcPort = 50051;

    private WebApplication? app;

    public ServerFixture()
    {
    }

    /// <summary>A server with <paramref name="overrides"/> on top of the default test settings.</summary>
    internal ServerFixture(IReadOnlyDictionary<string, string?> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        foreach ((string key, string? value) in overrides)
        {
            Settings[key] = value;
        }
    }

    public GrpcChannel Channel { get; private set; } = null!;

    public DiffusionService.DiffusionServiceClient Client { get; private set; } = null!;

    /// <summary>The default model as GetModel describes it.</summary>
    public ModelInfo Model { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    /// <summary>What the in-memory exporter collected; <see cref="CollectMetrics"/> refreshes it.</summary>
    public List<MetricSnapshot> ExportedMetrics { get; } = [];

    /// <summary>Configuration of the server under test.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["AdaDiff:BindAddress"] = "127.0.0.1",
        ["AdaDiff:GrpcPort"] = GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AdaDiff:HttpPort"] = "9464",
        ["AdaDiff:MaxImagesPerRequest"] = "4",
        ["AdaDiff:MaxSteps"] = "500",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public async Task InitializeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Services.AddAdaDiff(builder.Configuration);
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(ExportedMetrics));
        app = builder.Build();
        app.MapAdaDiff();
        await app.StartAsync();
        await app.Services.GetRequiredService<ModelRegistry>().Ready.WaitAsync(TimeSpan.FromMinutes(3));

        Channel = GrpcChannel.ForAddress($"http://localhost:{GrpcPort}", new GrpcChannelOptions
        {
            HttpHandler = app.GetTestServer().CreateHandler(),
        });
        Client = new DiffusionService.DiffusionServiceClient(Channel);
        Model = await Client.GetModelAsync(new GetModelRequest { Name = "fashion-mnist-uvit" });
    }

    /// <summary>Collects every instrument now and returns the snapshots of this collection only.</summary>
    /// <summary>
    /// Waits until no generation is queued or running, so that a metrics snapshot taken next does not race
    /// a straggler step of an earlier test (its counters are added one instrument at a time).
    /// </summary>
    public async Task WaitIdleAsync()
    {
        var registry = Services.GetRequiredService<ModelRegistry>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (registry.Models.Any(m => m.Scheduler.ActiveJobs > 0 || m.Scheduler.QueueDepth > 0))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the server did not become idle");
            await Task.Delay(10);
        }
    }

    public IReadOnlyList<MetricSnapshot> CollectMetrics()
    {
        lock (ExportedMetrics)
        {
            ExportedMetrics.Clear();
            Services.GetRequiredService<MeterProvider>().ForceFlush();
            return [.. ExportedMetrics];
        }
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
