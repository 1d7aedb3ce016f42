using System.Text;

namespace ThermalPlant.Storage.WideRows;

/// <summary>PostgreSQL identifiers from configuration, quoted so that any name is taken literally and none can inject SQL.</summary>
public static class PgIdentifier
{
    /// <summary>PostgreSQL's NAMEDATALEN - 1: longer names are truncated by the server, so two could silently become one.</summary>
    public const int MaxBytes = 63;

    /// <summary>The name in double quotes, inner double quotes doubled (<c>my "log"</c> becomes <c>"my ""log"""</c>).</summary>
    public static string Quote(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Why <paramref name="name"/> cannot be an identifier, or null when it can.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "must not be empty";
        if (name.Contains('\0', StringComparison.Ordinal)) return "must not contain a NUL character";
        if (Encoding.UTF8.GetByteCount(name) > MaxBytes) return $"must be at most {MaxBytes} bytes (PostgreSQL would truncate it)";
        return null;
    }
}
