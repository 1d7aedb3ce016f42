using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The legacy encrypted token secret of Part 4, 7.41.2.2 (7.36.2.2 in older editions): a UInt32 length, the secret
/// and the server's last nonce, RSA-encrypted block by block with the server certificate's public key and the padding of the
/// user token policy's security policy. The nonce
/// binds the secret to one activation, so a captured token cannot be replayed.
/// </summary>
public static class LegacySecret
{
    /// <summary>Longest secret accepted (a password or token), to bound what a peer makes us decrypt.</summary>
    public const int MaxSecretLength = 4096;

    /// <summary>Encrypts <paramref name="secret"/> with <paramref name="serverNonce"/> for the server of <paramref name="serverCertificate"/>.</summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> serverNonce, X509Certificate2 serverCertificate, SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(serverCertificate);
        RequireAsymmetric(policy);
        if (secret.Length > MaxSecretLength) throw new ArgumentException($"a secret is at most {MaxSecretLength} bytes", nameof(secret));
        using var rsa = serverCertificate.GetRSAPublicKey() ?? throw new OpcUaException(StatusCodes.BadCertificateInvalid, "the server certificate has no RSA key");
        var plain = new byte[4 + secret.Length + serverNonce.Length];
        try
        {
            BinaryPrimitives.WriteUInt32LittleEndian(plain, (uint)(secret.Length + serverNonce.Length));
            secret.CopyTo(plain.AsSpan(4));
            serverNonce.CopyTo(plain.AsSpan(4 + secret.Length));
            var keyBytes = rsa.KeySize / 8;
            var blockPlain = policy.PlainTextBlockSize(rsa);
            var blocks = (plain.Length + blockPlain - 1) / blockPlain;
            var cipher = new byte[blocks * keyBytes];
            for (var i = 0; i < blocks; i++)
            {
                var start = i * blockPlain;
                var chunk = plain.AsSpan(start, Math.Min(blockPlain, plain.Length - start));
                if (policy.Encrypt(rsa, chunk, cipher.AsSpan(i * keyBytes, keyBytes)) != keyBytes)
                {
                    throw new CryptographicException("RSA encryption produced an unexpected length");
                }
            }
            return cipher;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>
    /// Decrypts a secret with the server's private key and checks that it ends with <paramref name="expectedNonce"/>.
    /// The caller owns the returned secret and should clear it. A malformed secret is BadIdentityTokenInvalid, a
    /// wrong nonce BadIdentityTokenRejected.
    /// </summary>
    public static byte[] Decrypt(ReadOnlySpan<byte> encrypted, ReadOnlySpan<byte> expectedNonce, X509Certificate2 serverCertificate, SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(serverCertificate);
        RequireAsymmetric(policy);
        using var rsa = serverCertificate.GetRSAPrivateKey() ?? throw new OpcUaException(StatusCodes.BadConfigurationError, "the server certificate has no RSA private key");
        var keyBytes = rsa.KeySize / 8;
        var blockPlain = policy.PlainTextBlockSize(rsa);
        var maxBlocks = (4 + MaxSecretLength + expectedNonce.Length + blockPlain - 1) / blockPlain;
        if (encrypted.Length == 0 || encrypted.Length % keyBytes != 0 || encrypted.Length / keyBytes > maxBlocks)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"an encrypted secret of {encrypted.Length} bytes does not fit {keyBytes}-byte RSA blocks");
        }
        var plain = ArrayPool<byte>.Shared.Rent(encrypted.Length);
        var length = 0;
        try
        {
            for (var offset = 0; offset < encrypted.Length; offset += keyBytes)
            {
                if (!policy.TryDecrypt(rsa, encrypted.Slice(offset, keyBytes), plain.AsSpan(length), out var written))
                {
                    throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, "the encrypted secret does not decrypt");
                }
                length += written;
            }
            return Unwrap(plain.AsSpan(0, length), expectedNonce);
        }
        catch (CryptographicException)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, "the encrypted secret does not decrypt with the server's key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(plain);
        }
    }

    private static byte[] Unwrap(ReadOnlySpan<byte> plain, ReadOnlySpan<byte> expectedNonce)
    {
        if (plain.Length < 4) throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, "the decrypted secret has no length");
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(plain);
        if (declared != plain.Length - 4 || declared < expectedNonce.Length)
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenInvalid, $"the decrypted secret declares {declared} bytes and holds {plain.Length - 4}");
        }
        var secretLength = (int)declared - expectedNonce.Length;
        if (expectedNonce.Length == 0 || !CryptographicOperations.FixedTimeEquals(plain.Slice(4 + secretLength), expectedNonce))
        {
            throw new OpcUaException(StatusCodes.BadIdentityTokenRejected, "the secret was not encrypted with the session's current server nonce");
        }
        return plain.Slice(4, secretLength).ToArray();
    }

    // Secrets are RSA-encrypted with the policy's padding: policy None has no such algorithm.
    private static void RequireAsymmetric(SecurityPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.IsNone) throw new ArgumentException("a secret cannot be encrypted under security policy None", nameof(policy));
    }
}
