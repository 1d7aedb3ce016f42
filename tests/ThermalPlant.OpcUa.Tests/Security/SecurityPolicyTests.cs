using System.Security.Cryptography;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.SecureChannel;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Security;

public sealed class SecurityPolicyTests
{
    private const int Header = 16;

    private static readonly Lazy<RSA> Key2048A = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> Key2048B = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> Key3072 = new(() => RSA.Create(3072));

    public static TheoryData<string> SecuredPolicies => new() { SecurityPolicyUris.Basic256Sha256, SecurityPolicyUris.Aes128Sha256RsaOaep, SecurityPolicyUris.Aes256Sha256RsaPss };

    [Fact]
    public void P_sha256_matches_the_published_tls12_prf_vector()
    {
        // The TLS 1.2 PRF test vector for SHA-256: PRF(secret, "test label", seed) = P_SHA256(secret, label + seed).
        var secret = Convert.FromHexString("9bbe436ba940f017b17652849a71db35");
        byte[] seed = [.. "test label"u8, .. Convert.FromHexString("a0ba9f936cda311827a6f796ffd5198c")];
        var output = new byte[100];
        PSha256.Derive(secret, seed, output);
        Assert.Equal(
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66",
            Convert.ToHexString(output).ToLowerInvariant());
    }

    [Fact]
    public void P_sha256_equals_the_hmac_chain_computed_step_by_step()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        using var hmac = new HMACSHA256(secret);
        var a1 = hmac.ComputeHash(seed);
        var a2 = hmac.ComputeHash(a1);
        var a3 = hmac.ComputeHash(a2);
        byte[] expected = [.. hmac.ComputeHash([.. a1, .. seed]), .. hmac.ComputeHash([.. a2, .. seed]), .. hmac.ComputeHash([.. a3, .. seed])];
        var output = new byte[80];
        PSha256.Derive(secret, seed, output);
        Assert.Equal(expected[..80], output);
    }

    [Fact]
    public void Derived_keys_come_in_the_order_signing_key_encrypting_key_iv()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var seed = RandomNumberGenerator.GetBytes(32);
        var material = new byte[32 + 16 + 16];
        PSha256.Derive(secret, seed, material);
        using var keys = RsaAesSecurityPolicy.Aes128Sha256RsaOaep.DeriveKeys(secret, seed);

        var data = RandomNumberGenerator.GetBytes(100);
        var signature = new byte[32];
        keys.Sign(data, signature);
        Assert.Equal(HMACSHA256.HashData(material[..32], data), signature);

        var block = RandomNumberGenerator.GetBytes(32);
        var copy = block.ToArray();
        keys.Encrypt(block);
        using var aes = Aes.Create();
        aes.Key = material[32..48];
        Assert.Equal(aes.EncryptCbc(copy, material[48..], PaddingMode.None), block);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Symmetric_chunks_are_padded_to_whole_blocks_only_when_encrypted(bool encrypt)
    {
        using var keys = RsaAesSecurityPolicy.Basic256Sha256.DeriveKeys(new byte[32], new byte[32]);
        var security = new SymmetricChunkSecurity(keys, encrypt);
        for (var body = 0; body < 64; body++)
        {
            var secured = security.ChunkLength(Header, body) - Header;
            if (encrypt)
            {
                // Sequence header, body, PaddingSize byte, signature: rounded up to 16 with fewer than 16 padding bytes.
                Assert.Equal(0, secured % 16);
                Assert.InRange(secured - (8 + body + 1 + 32), 0, 15);
            }
            else
            {
                Assert.Equal(8 + body + 32, secured);
            }
        }
        Assert.Equal(8192 - Header - 8 - 32 - (encrypt ? 1 : 0), security.MaxBodyLength(8192, Header));
    }

    [Fact]
    public void Asymmetric_chunks_fill_whole_rsa_blocks_and_use_a_second_padding_byte_above_2048_bits()
    {
        var policy = RsaAesSecurityPolicy.Basic256Sha256;
        var small = new AsymmetricChunkSecurity(policy, Key2048A.Value, Key2048B.Value);
        // OAEP with SHA-1 leaves 256 - 42 = 214 plain bytes per 256-byte block of a 2048-bit key.
        Assert.Equal(214, policy.PlainTextBlockSize(Key2048B.Value));
        Assert.Equal(190, RsaAesSecurityPolicy.Aes256Sha256RsaPss.PlainTextBlockSize(Key2048B.Value));
        // 8 + 100 + 1 + 256 = 365 bytes of plain text: two blocks of 214, encrypted to two of 256.
        Assert.Equal(Header + 512, small.ChunkLength(Header, 100));
        var large = new AsymmetricChunkSecurity(policy, Key2048A.Value, Key3072.Value);
        // 8 + 100 + 2 + 256 = 366: one block of 384 - 42 = 342 is not enough, two are.
        Assert.Equal(Header + 768, large.ChunkLength(Header, 100));
        // 8 + 76 + 2 + 256 = 342 fills one block exactly: the second padding byte is counted.
        Assert.Equal(Header + 384, large.ChunkLength(Header, 76));
        Assert.Equal(Header + 768, large.ChunkLength(Header, 77));
    }

    [Theory]
    [MemberData(nameof(SecuredPolicies))]
    public void Symmetric_chunks_round_trip_and_a_flipped_bit_fails_the_checks(string uri)
    {
        var policy = SecurityPolicies.Find(uri);
        var clientNonce = RandomNumberGenerator.GetBytes(policy.NonceLength);
        var serverNonce = RandomNumberGenerator.GetBytes(policy.NonceLength);
        foreach (var encrypt in new[] { false, true })
        {
            using var sending = policy.DeriveKeys(serverNonce, clientNonce);
            using var receiving = policy.DeriveKeys(serverNonce, clientNonce);
            var chunk = Chunk(new SymmetricChunkSecurity(sending, encrypt), 333, out var plain);
            if (encrypt) Assert.NotEqual(plain.AsSpan(Header, 100).ToArray(), chunk.AsSpan(Header, 100).ToArray());
            var receiver = new SymmetricChunkSecurity(receiving, encrypt);
            var copy = chunk.ToArray();
            Assert.Equal(8 + 333, receiver.Unprotect(copy, Header));
            Assert.Equal(plain.AsSpan(0, Header + 8 + 333).ToArray(), copy.AsSpan(0, Header + 8 + 333).ToArray());

            foreach (var bit in new[] { 3 * 8, (Header + 20) * 8 + 5, (chunk.Length - 1) * 8 })
            {
                var tampered = chunk.ToArray();
                tampered[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => receiver.Unprotect(tampered, Header)).Status.Code);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SecuredPolicies))]
    public void Asymmetric_chunks_round_trip_and_a_flipped_bit_fails_the_checks(string uri)
    {
        var policy = SecurityPolicies.Find(uri);
        foreach (var receiverKey in new[] { Key2048B.Value, Key3072.Value })
        {
            var chunk = Chunk(new AsymmetricChunkSecurity(policy, Key2048A.Value, receiverKey), 1000, out var plain);
            var receiver = new AsymmetricChunkSecurity(policy, receiverKey, Key2048A.Value);
            var copy = chunk.ToArray();
            Assert.Equal(8 + 1000, receiver.Unprotect(copy, Header));
            Assert.Equal(plain.AsSpan(Header, 8 + 1000).ToArray(), copy.AsSpan(Header, 8 + 1000).ToArray());

            var tampered = chunk.ToArray();
            tampered[Header + 300] ^= 0x10;
            Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => receiver.Unprotect(tampered, Header)).Status.Code);
            // Signed by someone else: decrypts, but the signature is not the sender's.
            var impostor = Chunk(new AsymmetricChunkSecurity(policy, Key2048B.Value == receiverKey ? Key3072.Value : Key2048B.Value, receiverKey), 1000, out _);
            Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => receiver.Unprotect(impostor, Header)).Status.Code);
        }
    }

    [Fact]
    public void A_received_chunk_of_more_rsa_blocks_than_an_open_needs_is_refused_before_decrypting()
    {
        var receiver = new AsymmetricChunkSecurity(RsaAesSecurityPolicy.Basic256Sha256, Key2048B.Value, Key2048A.Value);
        var chunk = new byte[Header + ((AsymmetricChunkSecurity.MaxBlocks + 1) * 256)];
        var error = Assert.Throws<OpcUaException>(() => receiver.Unprotect(chunk, Header));
        Assert.Equal(StatusCodes.BadSecurityChecksFailed, error.Status.Code);
        Assert.Contains("RSA blocks", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_and_mutated_chunks_fail_with_bad_security_checks_failed_and_nothing_else()
    {
        var random = new Random(9);
        using var keys = RsaAesSecurityPolicy.Aes256Sha256RsaPss.DeriveKeys(new byte[32], new byte[32]);
        var asymmetric = new AsymmetricChunkSecurity(RsaAesSecurityPolicy.Aes256Sha256RsaPss, Key2048B.Value, Key2048A.Value);
        var valid = Chunk(new AsymmetricChunkSecurity(RsaAesSecurityPolicy.Aes256Sha256RsaPss, Key2048A.Value, Key2048B.Value), 200, out _);
        foreach (var encrypt in new[] { false, true })
        {
            var symmetric = new SymmetricChunkSecurity(keys, encrypt);
            for (var i = 0; i < 2000; i++)
            {
                var chunk = new byte[Header + random.Next(0, 300)];
                random.NextBytes(chunk);
                Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => symmetric.Unprotect(chunk, Header)).Status.Code);
            }
        }
        for (var i = 0; i < 40; i++)
        {
            // Whole blocks with random content, and the valid chunk cut short or with a byte changed.
            var blocks = new byte[Header + (256 * random.Next(1, 3))];
            random.NextBytes(blocks);
            Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => asymmetric.Unprotect(blocks, Header)).Status.Code);
            var mutated = valid[..(valid.Length - (i % 2 == 0 ? 0 : random.Next(1, 256)))];
            mutated[random.Next(Header, mutated.Length)] ^= (byte)random.Next(1, 256);
            Assert.Equal(StatusCodes.BadSecurityChecksFailed, Assert.Throws<OpcUaException>(() => asymmetric.Unprotect(mutated, Header)).Status.Code);
        }
    }

    [Fact]
    public void Policies_are_found_by_uri_and_unknown_ones_are_rejected()
    {
        Assert.Same(RsaAesSecurityPolicy.Basic256Sha256, SecurityPolicies.Find(SecurityPolicyUris.Basic256Sha256));
        Assert.True(SecurityPolicies.Find(SecurityPolicyUris.None).IsNone);
        Assert.Equal(StatusCodes.BadSecurityPolicyRejected, Assert.Throws<OpcUaException>(() => SecurityPolicies.Find("http://opcfoundation.org/UA/SecurityPolicy#Basic128Rsa15")).Status.Code);
        Assert.Equal("http://opcfoundation.org/UA/security/rsa-pss-sha2-256", RsaAesSecurityPolicy.Aes256Sha256RsaPss.AsymmetricSignatureAlgorithm);
        Assert.Equal(16, RsaAesSecurityPolicy.Aes128Sha256RsaOaep.EncryptingKeyLength);
    }

    /// <summary>A chunk with a 16-byte header of random bytes (the message header giving the final size), a sequence header and a body, secured.</summary>
    private static byte[] Chunk(ChunkSecurity security, int bodyLength, out byte[] plain)
    {
        var length = security.ChunkLength(Header, bodyLength);
        plain = new byte[length];
        RandomNumberGenerator.Fill(plain.AsSpan(0, Header + 8 + bodyLength));
        BitConverter.TryWriteBytes(plain.AsSpan(4), length);
        var chunk = plain.ToArray();
        security.Protect(chunk, Header, bodyLength);
        return chunk;
    }
}
