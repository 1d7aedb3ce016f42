using System.Net;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Transport;

namespace ThermalPlant.OpcUa.Tests.Server;

/// <summary>A refused client certificate is reported once, with what an administrator needs to trust it.</summary>
public sealed class CertificateRefusalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-refusal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_untrusted_client_certificate_is_reported_once_with_its_subject_thumbprint_and_rejected_file()
    {
        var serverStore = new CertificateStore(Path.Combine(_directory, "server"));
        var clientStore = new CertificateStore(Path.Combine(_directory, "client"));
        var reports = new List<CertificateRejected>();
        await using var server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            Security = [new EndpointSecurity(SecurityPolicyUris.Basic256Sha256, MessageSecurityMode.SignAndEncrypt)],
            CertificateStorePath = serverStore.Path,
        });
        server.CertificateRejected += rejected =>
        {
            lock (reports) reports.Add(rejected);
        };
        server.Start();
        clientStore.AddTrusted(server.Certificate!);
        var options = new OpcUaClientOptions
        {
            SecurityPolicyUri = SecurityPolicyUris.Basic256Sha256,
            SecurityMode = MessageSecurityMode.SignAndEncrypt,
            CertificateStorePath = clientStore.Path,
            Transport = new TransportLimits { ReceiveBufferSize = 8192, SendBufferSize = 8192 },
        };
        var url = $"opc.tcp://127.0.0.1:{server.Port}/freeopcua/server/";

        // A client that retries is one report, not one per attempt.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await Assert.ThrowsAsync<ChannelRefusedException>(() => OpcUaClient.ConnectAsync(url, options));
            Assert.Equal(StatusCodes.BadCertificateUntrusted, refused.Status.Code);
        }

        var file = Assert.Single(Directory.GetFiles(serverStore.RejectedCerts));
        using var client = X509CertificateLoader.LoadCertificateFromFile(file);
        lock (reports)
        {
            var report = Assert.Single(reports);
            Assert.Equal(client.Subject, report.Subject);
            Assert.Equal(client.Thumbprint, report.Thumbprint);
            Assert.Equal(file, report.RejectedFile);
            Assert.Equal(StatusCodes.BadCertificateUntrusted, report.Status.Code);
        }
    }
}
