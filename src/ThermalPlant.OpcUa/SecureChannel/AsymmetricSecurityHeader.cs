using ThermalPlant.OpcUa.Encoding;

namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>The security header of OpenSecureChannel chunks (Part 6, 6.7.2.3).</summary>
/// <param name="SecurityPolicyUri">The policy the channel uses.</param>
/// <param name="SenderCertificate">The sender's certificate (chain), or null for policy None.</param>
/// <param name="ReceiverCertificateThumbprint">SHA-1 thumbprint of the receiver's certificate, or null for policy None.</param>
public sealed record AsymmetricSecurityHeader(string? SecurityPolicyUri, byte[]? SenderCertificate, byte[]? ReceiverCertificateThumbprint)
{
    /// <summary>Reads the header; the URI is at most 255 bytes, certificates at most the limits' ByteString length.</summary>
    public static AsymmetricSecurityHeader Read(ref BinaryDecoder decoder) =>
        new(decoder.ReadString(), decoder.ReadByteString(), decoder.ReadByteString());

    /// <summary>Writes the header.</summary>
    public void Write(BinaryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.WriteString(SecurityPolicyUri);
        encoder.WriteByteStringOrNull(SenderCertificate);
        encoder.WriteByteStringOrNull(ReceiverCertificateThumbprint);
    }
}
