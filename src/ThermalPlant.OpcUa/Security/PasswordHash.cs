using System.Globalization;
using System.Security.Cryptography;

namespace ThermalPlant.OpcUa.Security;

/// <summary>
/// Password hashes kept in configuration instead of passwords: PBKDF2 with HMAC-SHA256, a random salt per user and
/// the iteration count, in the self-describing form <c>pbkdf2-sha256:ITERATIONS:SALT:HASH</c> (Base64), so that
/// the cost can be raised later without invalidating older hashes. No <c>$</c> in it: shells, docker compose and
/// .env files would take it for a variable.
/// </summary>
public static class PasswordHash
{
    /// <summary>Iterations of new hashes; high enough to slow guessing, low enough for a Raspberry Pi to log in.</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>Fewest iterations accepted in a hash.</summary>
    public const int MinIterations = 10_000;

    /// <summary>Most iterations accepted in a hash, so that a configuration error cannot stall every login.</summary>
    public const int MaxIterations = 10_000_000;

    private const string Prefix = "pbkdf2-sha256:";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    /// <summary>Hashes <paramref name="password"/> with a fresh random salt.</summary>
    public static string Create(string password, int iterations = DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(System.Text.Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Prefix}{iterations}:{Convert.ToBase64String(salt)}:{Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="hash"/> is well formed (checked at start, so a typo fails early).</summary>
    public static bool IsValid(string? hash) => TryParse(hash, out _, out _, out _);

    /// <summary>Whether <paramref name="password"/> (UTF-8 bytes) matches <paramref name="hash"/>; a malformed hash matches nothing.</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string? hash)
    {
        if (!TryParse(hash, out var iterations, out var salt, out var expected)) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static bool TryParse(string? hash, out int iterations, out byte[] salt, out byte[] expected)
    {
        iterations = 0;
        salt = [];
        expected = [];
        if (hash is null || !hash.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = hash[Prefix.Length..].Split(':');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out iterations)) return false;
        if (iterations is < MinIterations or > MaxIterations) return false;
        try
        {
            salt = Convert.FromBase64String(parts[1]);
            expected = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            return false;
        }
        return salt.Length >= 8 && expected.Length is >= 16 and <= 64;
    }
}
