namespace ThermalPlant.Testing;

/// <summary>
/// One PostgreSQL cluster shared by a test class or collection; each test creates its own database in it. A missing
/// PostgreSQL fails the fixture, naming what to install.
/// </summary>
public class PostgresClusterFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The running cluster.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL fixture has not started.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
