using System.Formats.Asn1;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
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
        Assert.Equal(StatusCodes.BadCertificateUntrusted, Code(() => Validate(validator, peer)));
        Assert.Single(Directory.GetFiles(_store.RejectedCerts));
        Assert.NotNull(CertificateStore.Move(_store.RejectedCerts, _store.TrustedCerts, peer.Thumbprint[..8]));
        Validate(validator, peer);
    }

    [Fact]
    public void A_trusted_certificate_out_of_its_validity_is_bad_certificate_time_invalid()
    {
        using var peer = ApplicationCertificates.Create("urn:peer", "Peer", ["localhost"], _time, TimeSpan.FromDays(30));
        _store.AddTrusted(peer);
        var validator = new CertificateValidator(_store, _time);
        Validate(validator, peer);
        _time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(StatusCodes.BadCertificateTimeInvalid, Code(() => Validate(validator, peer)));
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
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => Validate(validator, leaf)));
        var crl = new CertificateRevocationListBuilder();
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), crl.Build(ca, BigInteger.One, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Validate(validator, leaf);

        crl.AddEntry(leaf, now);
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), crl.Build(ca, 2, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Assert.Equal(StatusCodes.BadCertificateRevoked, Code(() => Validate(validator, leaf)));

        // A CRL with the CA's name but signed by another key does not count: the state is unknown again.
        using var impostor = Ca("CN=Plant CA", now);
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "ca.crl"), new CertificateRevocationListBuilder().Build(impostor, 3, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => Validate(validator, leaf)));
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
        Assert.Equal(StatusCodes.BadCertificateUntrusted, Code(() => Validate(new CertificateValidator(_store, _time), leaf)));
    }

    [Fact]
    public void A_certificate_whose_issuer_is_in_neither_trusted_nor_issuers_is_chain_incomplete_and_kept_in_rejected()
    {
        using var ca = Ca("CN=Unknown CA", _time.GetUtcNow());
        using var leaf = Issue("CN=Leaf", ca);
        var validator = new CertificateValidator(_store, _time, acceptUntrusted: true);
        Assert.Equal(StatusCodes.BadCertificateChainIncomplete, Code(() => Validate(validator, leaf)));
        Assert.Equal(leaf.Thumbprint, X509CertificateLoader.LoadCertificateFromFile(Assert.Single(Directory.GetFiles(_store.RejectedCerts))).Thumbprint);

        // Once the CA completes the chain, only trust is missing; trusting the CA then needs its CRL.
        File.WriteAllBytes(Path.Combine(_store.IssuersCerts, "ca.der"), ca.RawData);
        Assert.Equal(StatusCodes.BadCertificateUntrusted, Code(() => Validate(new CertificateValidator(_store, _time), leaf)));
    }

    [Fact]
    public void A_certificate_signed_with_sha1_fails_the_policy_check_even_when_trusted()
    {
        using var sha1 = Issue("CN=Old Peer", issuer: null, hash: HashAlgorithmName.SHA1);
        _store.AddTrusted(sha1);
        Assert.Equal(StatusCodes.BadCertificatePolicyCheckFailed, Code(() => Validate(new CertificateValidator(_store, _time), sha1)));

        // A SHA-256 leaf of a CA whose own certificate is signed with SHA-1 fails too.
        using var oldCa = Issue("CN=Old CA", issuer: null, CaExtensions, HashAlgorithmName.SHA1);
        using var leaf = Issue("CN=Leaf", oldCa);
        _store.AddTrusted(oldCa);
        Assert.Equal(StatusCodes.BadCertificatePolicyCheckFailed, Code(() => Validate(new CertificateValidator(_store, _time), leaf)));
    }

    [Fact]
    public void A_key_shorter_than_the_policy_allows_fails_the_policy_check()
    {
        using var weak = Issue("CN=Weak Peer", issuer: null, keyBits: 1024);
        _store.AddTrusted(weak);
        Assert.Equal(StatusCodes.BadCertificatePolicyCheckFailed, Code(() => Validate(new CertificateValidator(_store, _time), weak)));
    }

    [Fact]
    public void An_application_certificate_must_allow_signing_and_key_encipherment_and_be_no_ca()
    {
        var validator = new CertificateValidator(_store, _time);
        using var signOnly = Issue("CN=Sign Only", issuer: null, request => request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true)));
        using var encryptOnly = Issue("CN=Encrypt Only", issuer: null, request => request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, true)));
        using var ca = Issue("CN=Peer That Is A CA", issuer: null, request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        });
        using var enough = Issue("CN=Enough", issuer: null, request => request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true)));
        foreach (var certificate in new[] { signOnly, encryptOnly, ca, enough }) _store.AddTrusted(certificate);

        Assert.Equal(StatusCodes.BadCertificateUseNotAllowed, Code(() => Validate(validator, signOnly)));
        Assert.Equal(StatusCodes.BadCertificateUseNotAllowed, Code(() => Validate(validator, encryptOnly)));
        Assert.Equal(StatusCodes.BadCertificateUseNotAllowed, Code(() => Validate(validator, ca)));
        // nonRepudiation and dataEncipherment are not required: many stacks' certificates lack them.
        Validate(validator, enough);
    }

    [Fact]
    public void An_extended_key_usage_must_allow_the_role_the_certificate_is_used_in()
    {
        using var serverOnly = Issue("CN=Server Only", issuer: null, request => request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)));
        _store.AddTrusted(serverOnly);
        var validator = new CertificateValidator(_store, _time);
        validator.Validate(serverOnly, Basic256Sha256, ApplicationType.Server);
        Assert.Equal(StatusCodes.BadCertificateUseNotAllowed, Code(() => validator.Validate(serverOnly, Basic256Sha256, ApplicationType.Client)));
    }

    [Fact]
    public void An_issuer_must_be_a_ca_allowed_to_sign_certificates()
    {
        using var notCa = Issue("CN=Not A CA", issuer: null, request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        });
        using var cannotSign = Issue("CN=CA Without Cert Sign", issuer: null, request =>
        {
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign, true));
        });
        var validator = new CertificateValidator(_store, _time);
        foreach (var issuer in new[] { notCa, cannotSign })
        {
            _store.AddTrusted(issuer);
            using var leaf = Issue("CN=Leaf", issuer);
            Assert.Equal(StatusCodes.BadCertificateIssuerUseNotAllowed, Code(() => Validate(validator, leaf)));
        }
    }

    [Fact]
    public void A_crl_past_its_next_update_counts_as_no_crl_for_the_leaf_and_for_an_issuer()
    {
        var now = _time.GetUtcNow();
        using var root = Ca("CN=Root CA", now);
        using var intermediate = Issue("CN=Intermediate CA", root, CaExtensions, keepKey: true);
        using var leaf = Issue("CN=Leaf", intermediate);
        _store.AddTrusted(root);
        File.WriteAllBytes(Path.Combine(_store.IssuersCerts, "intermediate.der"), intermediate.RawData);
        File.WriteAllBytes(Path.Combine(_store.TrustedCrl, "root.crl"), new CertificateRevocationListBuilder().Build(root, 1, now.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        var validator = new CertificateValidator(_store, _time);

        File.WriteAllBytes(Path.Combine(_store.IssuersCrl, "intermediate.crl"), new CertificateRevocationListBuilder().Build(intermediate, 1, now.AddDays(1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, now));
        Validate(validator, leaf);
        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(StatusCodes.BadCertificateRevocationUnknown, Code(() => Validate(validator, leaf)));

        var later = _time.GetUtcNow();
        File.WriteAllBytes(Path.Combine(_store.IssuersCrl, "intermediate.crl"), new CertificateRevocationListBuilder().Build(intermediate, 2, later.AddDays(30), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, later));
        Validate(validator, leaf);
        _time.Advance(TimeSpan.FromDays(29));
        Assert.Equal(StatusCodes.BadCertificateIssuerRevocationUnknown, Code(() => Validate(validator, leaf)));
    }

    [Fact]
    public void The_host_name_must_be_a_dns_name_in_any_case_or_an_ip_address_of_the_certificate()
    {
        using var server = ApplicationCertificates.Create("urn:plant:opc", "Plant OPC", ["plant-host", "127.0.0.1", "::1"], _time, TimeSpan.FromDays(30));
        CertificateValidator.CheckHostName(server, "plant-host");
        CertificateValidator.CheckHostName(server, "PLANT-Host");
        CertificateValidator.CheckHostName(server, "127.0.0.1");
        CertificateValidator.CheckHostName(server, "::1");
        Assert.Equal(StatusCodes.BadCertificateHostNameInvalid, Code(() => CertificateValidator.CheckHostName(server, "other-host")));
        Assert.Equal(StatusCodes.BadCertificateHostNameInvalid, Code(() => CertificateValidator.CheckHostName(server, "127.0.0.2")));
        Assert.Equal(StatusCodes.BadCertificateHostNameInvalid, Code(() => CertificateValidator.CheckHostName(server, "plant-host.example")));
    }

    [Fact]
    public void The_local_host_names_cover_the_configured_name_the_machine_localhost_and_loopback()
    {
        var names = ApplicationCertificates.LocalHostNames("plant.example");
        foreach (var expected in new[] { "plant.example", Dns.GetHostName(), "localhost", "127.0.0.1", "::1" }) Assert.Contains(expected, names);
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    /// <summary>
    /// A certificate for <paramref name="subject"/>, self-signed (with its key) or issued by <paramref name="issuer"/>
    /// (with its key when <paramref name="keepKey"/>); no extensions beyond a key identifier and <paramref name="extend"/>'s.
    /// </summary>
    private X509Certificate2 Issue(string subject, X509Certificate2? issuer, Action<CertificateRequest>? extend = null, HashAlgorithmName? hash = null, int keyBits = 2048, bool keepKey = false)
    {
        var now = _time.GetUtcNow();
        using var key = RSA.Create(keyBits);
        var request = new CertificateRequest(subject, key, hash ?? HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        extend?.Invoke(request);
        using var issuerKey = issuer?.GetRSAPrivateKey();
        var signingKey = issuerKey ?? key;
        // A generator rather than CreateSelfSigned or Create(issuer): those refuse SHA-1 and issuers that are no CA.
        var generator = hash == HashAlgorithmName.SHA1 ? new Sha1RsaSignatureGenerator(signingKey) : X509SignatureGenerator.CreateForRSA(signingKey, RSASignaturePadding.Pkcs1);
        using var made = request.Create(issuer?.SubjectName ?? request.SubjectName, generator, now.AddDays(-1), now.AddYears(1), [0x01, .. RandomNumberGenerator.GetBytes(7)]);
        if (issuer is not null && !keepKey) return X509CertificateLoader.LoadCertificate(made.RawData);
        using var withKey = made.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static void CaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
    }

    private static readonly SecurityPolicy Basic256Sha256 = SecurityPolicies.FromName("Basic256Sha256");

    private static void Validate(CertificateValidator validator, X509Certificate2 certificate) =>
        validator.Validate(certificate, Basic256Sha256, ApplicationType.Client);

    private static uint Code(Action action) => Assert.ThrowsAny<OpcUaException>(action).Status.Code;

    /// <summary>Signs sha1WithRSAEncryption, which .NET's own generators no longer make, as old peers' certificates are.</summary>
    private sealed class Sha1RsaSignatureGenerator(RSA key) : X509SignatureGenerator
    {
        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.2.840.113549.1.1.5");
                writer.WriteNull();
            }
            return writer.Encode();
        }

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm) => key.SignData(data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

        protected override PublicKey BuildPublicKey() => CreateForRSA(key, RSASignaturePadding.Pkcs1).PublicKey;
    }
}
