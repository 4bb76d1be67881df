namespace AdaDiff.Client.Tests;

/// <summary>One real server for every system test of this assembly.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? server;

    internal ServerProcess Server => server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => server = await ServerProcess.StartAsync(ServerProcess.DefaultReadyTimeout);

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "real server";
}
