using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Messages;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>Hand-made ActivateSession requests on a raw channel: malformed, replayed and forged identity tokens are refused.</summary>
public sealed class IdentityTokenRejectionTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server");
    private static readonly X509Certificate2 UserCertificate = TestCertificates.Create("user");
    private static readonly SecurityPolicy Basic256Sha256 = SecurityPolicies.ForUserTokens(SecurityPolicyUris.Basic256Sha256);

    private OpcUaServer _server = null!;
    private ClientChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _server = new OpcUaServer(new OpcUaServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            HostName = "127.0.0.1",
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                Users =
                [
                    new UserAccount { Name = "operator", Role = "Operator", PasswordHash = PasswordHash.Create("op-pass", PasswordHash.MinIterations) },
                    new UserAccount { Name = "engineer", Role = "Engineer", CertificateThumbprint = UserCertificate.GetCertHashString(HashAlgorithmName.SHA256) },
                ],
            },
        });
        _server.Start();
        _channel = await ClientChannel.OpenAsync($"opc.tcp://127.0.0.1:{_server.Port}/freeopcua/server/", new OpcUaClientOptions(), null, TimeProvider.System, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Create_and_activate_each_return_a_fresh_32_byte_nonce_and_a_replayed_password_is_rejected()
    {
        var session = await CreateSession();
        var token = Password("operator", "op-pass", session.ServerNonce);

        var activated = await Activate(session, ExtensionObject.From(token));
        Assert.Equal(32, activated.ServerNonce!.Length);
        Assert.NotEqual(session.ServerNonce, activated.ServerNonce);

        // The same encrypted password again: bound to the nonce the server has since replaced.
        Assert.Equal(StatusCodes.BadIdentityTokenRejected, await Refused(session, ExtensionObject.From(token)));
        Assert.IsType<ActivateSessionResponse>(await Activate(session, ExtensionObject.From(Password("operator", "op-pass", activated.ServerNonce))));
    }

    [Fact]
    public async Task A_password_in_clear_is_refused_even_when_right()
    {
        var session = await CreateSession();
        var token = new UserNameIdentityToken { PolicyId = "username", UserName = "operator", Password = "op-pass"u8.ToArray() };

        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, ExtensionObject.From(token)));
    }

    [Fact]
    public async Task Malformed_tokens_unknown_policies_and_unknown_token_types_are_invalid()
    {
        var session = await CreateSession();

        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, new ExtensionObject(NodeId.Of(UserNameIdentityToken.BinaryEncodingId), ExtensionObjectEncoding.Binary, new byte[] { 8, 0, 0, 0, 1 })));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, new ExtensionObject(NodeId.Of(UserNameIdentityToken.BinaryEncodingId), ExtensionObjectEncoding.Binary, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, ExtensionObject.From(Password("operator", "op-pass", session.ServerNonce, "other"))));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, ExtensionObject.From(new IssuedIdentityToken { PolicyId = "issued", TokenData = [1, 2, 3] })));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, new ExtensionObject(NodeId.Of(AnonymousIdentityToken.BinaryEncodingId), ExtensionObjectEncoding.Xml, new byte[] { 1 })));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, ExtensionObject.From(new X509IdentityToken { PolicyId = "certificate", CertificateData = [0x30, 0x03, 1, 2, 3] })));
        Assert.Equal(StatusCodes.BadIdentityTokenInvalid, await Refused(session, ExtensionObject.From(new X509IdentityToken { PolicyId = "certificate", CertificateData = new byte[40_000] })));
    }

    [Fact]
    public async Task A_user_certificate_signature_over_another_nonce_is_invalid()
    {
        var session = await CreateSession();
        var token = ExtensionObject.From(new X509IdentityToken { PolicyId = "certificate", CertificateData = UserCertificate.RawData });
        var stale = UserTokenSignature.Sign(ServerCertificate.RawData, RandomNumberGenerator.GetBytes(32), UserCertificate, Basic256Sha256);

        Assert.Equal(StatusCodes.BadUserSignatureInvalid, await Refused(session, token, stale));
        Assert.Equal(StatusCodes.BadUserSignatureInvalid, await Refused(session, token, new SignatureData()));
        var good = UserTokenSignature.Sign(ServerCertificate.RawData, session.ServerNonce, UserCertificate, Basic256Sha256);
        Assert.IsType<ActivateSessionResponse>(await Activate(session, token, good));
    }

    private static UserNameIdentityToken Password(string user, string password, byte[]? nonce, string policyId = "username") => new()
    {
        PolicyId = policyId,
        UserName = user,
        Password = LegacySecret.Encrypt(System.Text.Encoding.UTF8.GetBytes(password), nonce, ServerCertificate, Basic256Sha256),
        EncryptionAlgorithm = Basic256Sha256.AsymmetricEncryptionAlgorithm,
    };

    private async Task<CreateSessionResponse> CreateSession()
    {
        var created = Assert.IsType<CreateSessionResponse>(await Send(new CreateSessionRequest { SessionName = "raw", RequestedSessionTimeout = 60_000 }, NodeId.Null));
        Assert.Equal(32, created.ServerNonce!.Length);
        Assert.Equal(ServerCertificate.RawData, created.ServerCertificate);
        return created;
    }

    private async Task<ActivateSessionResponse> Activate(CreateSessionResponse session, ExtensionObject token, SignatureData? signature = null)
    {
        var response = await Send(new ActivateSessionRequest { UserIdentityToken = token, UserTokenSignature = signature ?? new SignatureData() }, session.AuthenticationToken);
        return Assert.IsType<ActivateSessionResponse>(response);
    }

    private async Task<uint> Refused(CreateSessionResponse session, ExtensionObject token, SignatureData? signature = null)
    {
        var response = await Send(new ActivateSessionRequest { UserIdentityToken = token, UserTokenSignature = signature ?? new SignatureData() }, session.AuthenticationToken);
        return Assert.IsType<ServiceFault>(response).ResponseHeader.ServiceResult.Code;
    }

    private async Task<IEncodeable> Send(IServiceRequest request, NodeId authenticationToken)
    {
        request.RequestHeader = new RequestHeader { AuthenticationToken = authenticationToken, TimeoutHint = 10_000 };
        return await _channel.SendRequestAsync(request, CancellationToken.None);
    }
}
