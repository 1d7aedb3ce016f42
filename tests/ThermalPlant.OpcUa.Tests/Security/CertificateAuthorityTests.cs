using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Security;

/// <summary>The site CA (issue 20): what it issues is accepted by every store it was published into, until revoked or its CRL lapses.</summary>
public sealed class CertificateAuthorityTests : IDisposable
{
    private static readonly SecurityPolicy Basic256Sha256 = SecurityPolicies.Find(SecurityPolicyUris.Basic256Sha256);
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-ca-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string CaPath => Path.Combine(_directory, "ca");

    [Fact]
    public void Issued_certificates_are_accepted_through_the_published_ca_until_revoked()
    {
        using var ca = CertificateAuthority.Init(CaPath, "Site CA", _time, TimeSpan.FromDays(3650), TimeSpan.FromDays(30));
        using var again = CertificateAuthority.Init(CaPath, "Another name", _time, TimeSpan.FromDays(10), TimeSpan.FromDays(1));
        Assert.Equal(ca.Certificate.Thumbprint, again.Certificate.Thumbprint);

        var server = new CertificateStore(Path.Combine(_directory, "server"));
        var client = new CertificateStore(Path.Combine(_directory, "client"));
        using var serverCertificate = ca.IssueInto(server, "urn:plant:server", "server", ["opcserver", "127.0.0.1"], TimeSpan.FromDays(365));
        using var clientCertificate = ca.IssueInto(client, "urn:plant:client", "client", ["scraper"], TimeSpan.FromDays(365));

        // An application certificate, not a CA, issued by the site CA, with the names asked for.
        Assert.Equal(ca.Certificate.Subject, serverCertificate.Issuer);
        Assert.False(serverCertificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.False(serverCertificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.Equal(["urn:plant:server"], ApplicationCertificates.Uris(serverCertificate));
        Assert.Equal(["opcserver"], ApplicationCertificates.DnsNames(serverCertificate));
        CertificateValidator.CheckHostName(serverCertificate, "opcserver");

        // Each side accepts the other through the CA alone: nothing of the peer's is in its store.
        new CertificateValidator(client, _time).Validate(serverCertificate, Basic256Sha256, ApplicationType.Server);
        new CertificateValidator(server, _time).Validate(clientCertificate, Basic256Sha256, ApplicationType.Client);
        Assert.Empty(Directory.GetFiles(server.RejectedCerts));

        ca.Revoke(clientCertificate, TimeSpan.FromDays(30));
        ca.Publish(server);
        Assert.Equal(StatusCodes.BadCertificateRevoked, Code(() => new CertificateValidator(server, _time).Validate(clientCertificate, Basic256Sha256, ApplicationType.Client)));
        // Still accepted by a store the new CRL was not published into, as its old CRL says.
        new CertificateValidator(client, _time).Validate(serverCertificate, Basic256Sha256, ApplicationType.Server);
    }

    [Fact]
    public void A_lapsed_crl_refuses_every_issued_certificate_until_it_is_renewed_and_published()
    {
        using var ca = CertificateAuthority.Init(CaPath, "Site CA", _time, TimeSpan.FromDays(3650), TimeSpan.FromDays(30));
        var store = new CertificateStore(Path.Combine(_directory, "store"));
        using var peer = ca.Issue("urn:plant:peer", "peer", ["peer"], TimeSpan.FromDays(365));
        ca.Publish(store);
        new CertificateValidator(store, _time).Validate(peer, Basic256Sha256, ApplicationType.Client);

        _time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => new CertificateValidator(store, _time).Validate(peer, Basic256Sha256, ApplicationType.Client)));
        ca.RenewCrl(TimeSpan.FromDays(30));
        Assert.Equal(_time.GetUtcNow().UtcDateTime.AddDays(30), ca.CrlNextUpdate!.Value, TimeSpan.FromSeconds(1));
        ca.Publish(store);
        new CertificateValidator(store, _time).Validate(peer, Basic256Sha256, ApplicationType.Client);
    }

    [Fact]
    public void Issuing_into_a_store_replaces_the_certificates_for_that_uri_only_and_never_outlives_the_ca()
    {
        using var ca = CertificateAuthority.Init(CaPath, "Site CA", _time, TimeSpan.FromDays(100), TimeSpan.FromDays(30));
        var store = new CertificateStore(Path.Combine(_directory, "store"));
        using (var stale = ApplicationCertificates.Create("urn:plant:server", "stale", ["elsewhere"], _time, TimeSpan.FromDays(3650))) store.SaveOwn(stale);
        using (var other = ApplicationCertificates.Create("urn:plant:other", "other", ["elsewhere"], _time, TimeSpan.FromDays(3650))) store.SaveOwn(other);

        using var issued = ca.IssueInto(store, "urn:plant:server", "server", ["opcserver"], TimeSpan.FromDays(365));
        Assert.Equal(ca.Certificate.NotAfter, issued.NotAfter);
        Assert.Equal(2, Directory.GetFiles(store.OwnCerts).Length);
        Assert.Equal(2, Directory.GetFiles(store.OwnPrivate).Length);
        using var loaded = store.LoadOrCreateApplicationCertificate("urn:plant:server", "server", ["opcserver"], _time, TimeSpan.FromDays(365));
        Assert.Equal(issued.Thumbprint, loaded.Thumbprint);
        Assert.Single(ca.IssuedIn(store), c => c.Thumbprint == issued.Thumbprint);
        Assert.Single(Directory.GetFiles(ca.IssuedPath));
    }

    private static uint Code(Action action) => Assert.ThrowsAny<OpcUaException>(action).Status.Code;
}
