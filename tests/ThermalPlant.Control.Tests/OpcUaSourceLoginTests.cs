using Microsoft.Extensions.Logging.Abstractions;
using ThermalPlant.Control.Sources;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.OpcUa.Server.Users;

namespace ThermalPlant.Control.Tests;

/// <summary>The control link's OPC UA source logs in to a methanation PLC that requires a user name and password (issue 7).</summary>
public sealed class OpcUaSourceLoginTests : IAsyncLifetime
{
    private MethanationUnit _methanation = null!;
    private readonly List<AccessDenied> _denied = [];

    public Task InitializeAsync()
    {
        _methanation = new MethanationUnit(MethanationPlc.Options(), TimeProvider.System);
        _methanation.AccessDenied += denied => { lock (_denied) _denied.Add(denied); };
        _methanation.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _methanation.DisposeAsync();

    [Fact]
    public async Task With_the_configured_user_the_request_is_read()
    {
        await using var source = Source("bridge", "plc-pass");

        var reading = await source.ReadAsync(CancellationToken.None);

        Assert.Equal(SourceQuality.Good, reading.Quality);
        Assert.Equal(16.7, reading.Value);
    }

    [Fact]
    public async Task A_wrong_password_or_no_user_leaves_the_source_unreachable_with_the_reason()
    {
        await using var wrong = Source("bridge", "nope");
        await using var anonymous = Source(null, null);

        var refused = await wrong.ReadAsync(CancellationToken.None);
        var rejected = await anonymous.ReadAsync(CancellationToken.None);

        Assert.Equal(SourceQuality.Unreachable, refused.Quality);
        Assert.Contains("BadUserAccessDenied", refused.Problem, StringComparison.Ordinal);
        Assert.Equal(SourceQuality.Unreachable, rejected.Quality);
        Assert.Contains("BadIdentityTokenRejected", rejected.Problem, StringComparison.Ordinal);
        lock (_denied) Assert.Equal(2, _denied.Count);
    }

    [Fact]
    public void A_user_without_a_password_is_a_configuration_error()
    {
        var errors = new List<string>();
        new OpcUaSourceOptions { EndpointUrl = "opc.tcp://127.0.0.1:4841/", NodeId = MethanationUnit.RequestNodeId, UserName = "bridge" }.Validate("Source", errors);

        Assert.Contains(errors, e => e.StartsWith("Source:UserName and Source:Password go together", StringComparison.Ordinal));
    }

    private OpcUaControlSource Source(string? user, string? password) => new(
        new OpcUaSourceOptions { EndpointUrl = _methanation.EndpointUrl, NodeId = MethanationUnit.RequestNodeId, UserName = user, Password = password, ReadTimeout = TimeSpan.FromSeconds(10) },
        NullLogger<OpcUaControlSource>.Instance,
        TimeProvider.System);
}
