using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Security;

public sealed class CertificateValidationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-pki-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
    private readonly CertificateStore _store;

    public CertificateValidationTests() => _store = new CertificateStore(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_created_certificate_carries_the_uri_names_addresses_and_key_usages_of_part_6()
    {
        using var certificate = ApplicationCertificates.Create("urn:plant:opc", "Plant OPC", ["plant-host", "192.168.1.20"], _time, TimeSpan.FromDays(365));
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(2048, certificate.GetRSAPublicKey()!.KeySize);
        Assert.Equal("1.2.840.113549.1.1.11", certificate.SignatureAlgorithm.Value);
        Assert.Equal(["urn:plant:opc"], ApplicationCertificates.Uris(certificate));
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["plant-host"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("192.168.1.20")], names.EnumerateIPAddresses());
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages;
        Assert.True(usage.HasFlag(X509KeyUsageFlags.DigitalSignature) && usage.HasFlag(X509KeyUsageFlags.NonRepudiation)
            && usage.HasFlag(X509KeyUsageFlags.KeyEncipherment) && usage.HasFlag(X509KeyUsageFlags.DataEncipherment));
        Assert.Equal(_time.GetUtcNow().UtcDateTime.AddDays(365), certificate.NotAfter.ToUniversalTime(), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void The_store_keeps_its_certificate_and_gives_it_back_on_the_next_start()
    {
        using var first = _store.LoadOrCreateApplicationCertificate("urn:plant:opc", "Plant OPC", ["localhost"], _time, TimeSpan.FromDays(365));
        using var again = new CertificateStore(_directory).LoadOrCreateApplicationCertificate("urn:plant:opc", "Plant OPC", ["localhost"], _time, TimeSpan.FromDays(365));
        Assert.Equal(first.Thumbprint, again.Thumbprint);
        Assert.True(again.HasPrivateKey);
        foreach (var folder in new[] { "own/certs", "own/private", "trusted/certs", "trusted/crl", "issuers/certs", "issuers/crl", "rejected/certs" })
        {
            Assert.True(Directory.Exists(Path.Combine(_directory, folder)), folder);
        }
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(_store.OwnPrivate).Single()));
        }
    }

    [Fact]
    public void An_untrusted_certificate_is_rejected_and_kept_then_accepted_once_trusted()
    {
        using var peer = ApplicationCertificates.Create("urn:peer", "Peer", ["localhost"], _time, TimeSpan.FromDays(30));
        var validator = new CertificateValidator(_store, _time);
        Assert.Equal(StatusCodes.BadCertificateUntrusted, Code(() => validator.Validate(peer)));
        Assert.Single(Directory.GetFiles(_store.RejectedCerts));
        Assert.NotNull(CertificateStore.Move(_store.RejectedCerts, _store.TrustedCerts, peer.Thumbprint[..8]));
        validator.Validate(peer);
    }

    [Fact]
    public void A_trusted_certificate_out_of_its_validity_is_bad_certificate_time_invalid()
    {
        using var peer = ApplicationCertificates.Create("urn:peer", "Peer", ["localhost"], _time, TimeSpan.FromDays(30));
        _store.AddTrusted(peer);
        var validator = new CertificateValidator(_store, _time);
        validator.Validate(peer);
        _time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(StatusCodes.BadCertificateTimeInvalid, Code(() => validator.Validate(peer)));
    }

    [Fact]
    public void The_application_uri_must_be_in_the_subject_alt_name()
    {
        using var peer = ApplicationCertificates.Create("urn:peer", "Peer", ["localhost"], _time, TimeSpan.FromDays(30));
        CertificateValidator.CheckApplicationUri(peer, "urn:peer");
        Assert.Equal(StatusCodes.BadCertificateUriInvalid, Code(() => CertificateValidator.CheckApplicationUri(peer, "urn:someone-else")));
    }

    [Fact]
    public void A_certificate_from_a_trusted_ca_is_accepted_until_the_cas_crl_revokes_it()
    {
        var now = _time.GetUtcNow();
        using var ca = Ca("CN=Plant CA", now);
        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=Client", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddUri(new Uri("urn:client"));
        leafRequest.CertificateExtensions.Add(names.Build());
        using var leaf = leafRequest.Create(ca, now.AddDays(-1), now.AddYears(1), [1, 2, 3, 4]);
        File.WriteAllBytes(Path.Combine(_store.TrustedCerts, "ca.der"), ca.RawData);
        var validator = new CertificateValidator(_store, _time);

        // Without the CA's CRL the revocation state is unknown, which is refused.
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => validator.Validate(leaf)));
        var crl = new CertificateRevocationListBuilder();
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), crl.Build(ca, BigInteger.One, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        validator.Validate(leaf);

        crl.AddEntry(leaf, now);
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), crl.Build(ca, 2, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Assert.Equal(StatusCodes.BadCertificateRevoked, Code(() => validator.Validate(leaf)));

        // A CRL with the CA's name but signed by another key does not count: the state is unknown again.
        using var impostor = Ca("CN=Plant CA", now);
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), new CertificateRevocationListBuilder().Build(impostor, 3, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => validator.Validate(leaf)));
    }

    private static X509Certificate2 Ca(string name, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
    }

    [Fact]
    public void A_ca_certificate_only_in_issuers_completes_a_chain_but_is_not_trusted()
    {
        var now = _time.GetUtcNow();
        using var ca = Ca("CN=Issuer Only", now);
        using var leafKey = RSA.Create(2048);
        using var leaf = new CertificateRequest("CN=Leaf", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Create(ca, now.AddDays(-1), now.AddYears(1), [9, 9]);
        File.WriteAllBytes(Path.Combine(_store.IssuersCerts, "ca.der"), ca.RawData);
        Assert.Equal(StatusCodes.BadCertificateUntrusted, Code(() => new CertificateValidator(_store, _time).Validate(leaf)));
    }

    private static uint Code(Action action) => Assert.ThrowsAny<OpcUaException>(action).Status.Code;
}
