using Microsoft.Extensions.Logging.Abstractions;
using ThermalPlant.Control.Sources;
using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.Testing;

namespace ThermalPlant.Control.Tests;

/// <summary>
/// The control link's OPC UA source reads its set point from a methanation PLC that offers only Basic256Sha256
/// SignAndEncrypt and asks for a user (issue 9); settings that do not go together are refused at start.
/// </summary>
public sealed class OpcUaSourceSecurityTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-control-security-").FullName;
    private MethanationUnit _methanation = null!;

    private CertificateStore PlcStore => new(Path.Combine(_directory, "plc-pki"));

    private CertificateStore LinkStore => new(Path.Combine(_directory, "link-pki"));

    public Task InitializeAsync()
    {
        var options = MethanationPlc.Options();
        options.AllowSecurityNone = false;
        options.SecurityPolicies = ["Basic256Sha256"];
        options.SecurityModes = [MessageSecurityMode.SignAndEncrypt];
        options.CertificateStorePath = PlcStore.Path;
        _methanation = new MethanationUnit(options, TimeProvider.System);
        _methanation.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _methanation.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_set_point_is_read_over_sign_and_encrypt_once_each_side_trusts_the_other()
    {
        await using var source = new OpcUaControlSource(Options(), NullLogger<OpcUaControlSource>.Instance, TimeProvider.System);

        // The link refuses the PLC's certificate first, then the PLC refuses the link's; each lands in its peer's rejected/certs.
        var untrustedPlc = await ReadUntilAsync(source, r => r.Problem?.Contains("BadCertificateUntrusted", StringComparison.Ordinal) == true);
        Assert.Equal(SourceQuality.Unreachable, untrustedPlc.Quality);
        Assert.NotNull(CertificateStore.Move(LinkStore.RejectedCerts, LinkStore.TrustedCerts, TestCertificates.SingleThumbprint(LinkStore.RejectedCerts)));

        await ReadUntilAsync(source, _ => Directory.GetFiles(PlcStore.RejectedCerts).Length == 1);
        Assert.NotNull(CertificateStore.Move(PlcStore.RejectedCerts, PlcStore.TrustedCerts, TestCertificates.SingleThumbprint(PlcStore.RejectedCerts)));

        var reading = await ReadUntilAsync(source, r => r.Quality == SourceQuality.Good);
        Assert.Equal(16.7, reading.Value);
    }

    [Theory]
    [InlineData("Basic128Rsa15", MessageSecurityMode.SignAndEncrypt, "pki", "Source:SecurityPolicy must be one of")]
    [InlineData("Basic256Sha256", MessageSecurityMode.None, "pki", "Source:SecurityMode None does not go with SecurityPolicy Basic256Sha256")]
    [InlineData("None", MessageSecurityMode.Sign, "", "Source:SecurityMode Sign does not go with SecurityPolicy None")]
    [InlineData("Aes256_Sha256_RsaPss", MessageSecurityMode.Sign, "", "Source:CertificateStorePath must be set")]
    public void Settings_that_do_not_go_together_are_refused_at_start(string policy, MessageSecurityMode mode, string store, string message)
    {
        var options = new OpcUaSourceOptions { EndpointUrl = "opc.tcp://127.0.0.1:4841/", NodeId = MethanationUnit.RequestNodeId, SecurityPolicy = policy, SecurityMode = mode, CertificateStorePath = store };
        var errors = new List<string>();

        options.Validate("Source", errors);

        Assert.Contains(errors, e => e.StartsWith(message, StringComparison.Ordinal));
        var refused = Assert.Throws<ArgumentException>(() => new OpcUaControlSource(options, NullLogger<OpcUaControlSource>.Instance));
        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    private OpcUaSourceOptions Options() => new()
    {
        EndpointUrl = _methanation.EndpointUrl,
        NodeId = MethanationUnit.RequestNodeId,
        UserName = MethanationPlc.UserName,
        Password = MethanationPlc.Password,
        SecurityPolicy = "Basic256Sha256",
        SecurityMode = MessageSecurityMode.SignAndEncrypt,
        CertificateStorePath = LinkStore.Path,
        ReadTimeout = TimeSpan.FromSeconds(10),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Reads until <paramref name="done"/> holds for a reading, or fails after 20 s.</summary>
    private static async Task<SourceReading> ReadUntilAsync(OpcUaControlSource source, Func<SourceReading, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var reading = await source.ReadAsync(CancellationToken.None);
            if (done(reading)) return reading;
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not hold within 20 s; last reading: {reading.Quality} {reading.Problem}");
            await Task.Delay(20);
        }
    }
}
