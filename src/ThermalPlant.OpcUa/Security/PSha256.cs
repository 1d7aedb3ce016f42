using System.Security.Cryptography;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// The P_SHA256 pseudo-random function of TLS 1.2 (RFC 5246, 5) that derives a channel's symmetric keys from the
/// two nonces (Part 6, 6.7.5): A(0) = seed, A(i) = HMAC(secret, A(i-1)), output HMAC(secret, A(1) + seed) ...
/// </summary>
public static class PSha256
{
    private const int HashLength = 32;

    /// <summary>Fills <paramref name="output"/> with P_SHA256(<paramref name="secret"/>, <paramref name="seed"/>).</summary>
    public static void Derive(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        // A(i) followed by the seed, so that each output block is one HMAC over a contiguous span.
        var input = new byte[HashLength + seed.Length];
        seed.CopyTo(input.AsSpan(HashLength));
        Span<byte> a = stackalloc byte[HashLength];
        Span<byte> block = stackalloc byte[HashLength];
        HMACSHA256.HashData(secret, seed, a);
        var written = 0;
        while (written < output.Length)
        {
            a.CopyTo(input);
            HMACSHA256.HashData(secret, input, block);
            var take = Math.Min(HashLength, output.Length - written);
            block[..take].CopyTo(output[written..]);
            written += take;
            HMACSHA256.HashData(secret, a, a);
        }
        CryptographicOperations.ZeroMemory(input);
        CryptographicOperations.ZeroMemory(block);
    }
}
