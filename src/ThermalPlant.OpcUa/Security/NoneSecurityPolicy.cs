using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>SecurityPolicy None: nothing is signed or encrypted; asking it for a cryptographic operation is a bug.</summary>
public sealed class NoneSecurityPolicy : SecurityPolicy
{
    /// <inheritdoc />
    public override string Uri => SecurityPolicyUris.None;

    /// <inheritdoc />
    public override int NonceLength => 0;

    /// <inheritdoc />
    public override int SigningKeyLength => 0;

    /// <inheritdoc />
    public override int EncryptingKeyLength => 0;

    /// <inheritdoc />
    public override int MinAsymmetricKeyBits => 0;

    /// <inheritdoc />
    public override int MaxAsymmetricKeyBits => 0;

    /// <inheritdoc />
    public override string? AsymmetricSignatureAlgorithm => null;

    /// <inheritdoc />
    public override string? AsymmetricEncryptionAlgorithm => null;

    /// <inheritdoc />
    public override int AsymmetricPaddingOverhead => 0;

    /// <inheritdoc />
    public override byte[] Sign(RSA key, ReadOnlySpan<byte> data) => throw NotSecured();

    /// <inheritdoc />
    public override bool Verify(RSA key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => throw NotSecured();

    /// <inheritdoc />
    public override int Encrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination) => throw NotSecured();

    /// <inheritdoc />
    public override bool TryDecrypt(RSA key, ReadOnlySpan<byte> block, Span<byte> destination, out int written) => throw NotSecured();

    private static OpcUaException NotSecured() => new(StatusCodes.BadSecurityPolicyRejected, "SecurityPolicy None has no cryptography");
}
