using Npgsql;

namespace ThermalPlant.Storage;

/// <summary>
/// The database's address as operators write it: either a URL (<c>postgres://user:password@host:5432/db?sslmode=require</c>,
/// the form <c>THERMALPLANT_DB_URL</c> and most hosting panels use) or an Npgsql connection string
/// (<c>Host=...;Database=...</c>). Both become an Npgsql connection string.
/// </summary>
public static class DatabaseUrl
{
    /// <summary>The environment variable the scraper and the CLI read when no connection is given.</summary>
    public const string EnvironmentVariable = "THERMALPLANT_DB_URL";

    // libpq's URL parameters that Npgsql names differently; any other parameter is passed on as an Npgsql keyword.
    private static readonly Dictionary<string, string> QueryAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
    };

    /// <summary>Turns a URL or a connection string into an Npgsql connection string.</summary>
    /// <exception cref="FormatException">The URL or a keyword is not valid.</exception>
    public static string ToConnectionString(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var text = value.Trim();
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(text).ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"Not a valid connection string: {e.Message}", e);
            }
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("Not a valid database URL; expected postgres://user:password@host:port/database.");
        }
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.IdnHost };
        if (!uri.IsDefaultPort && uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(separator < 0 ? uri.UserInfo : uri.UserInfo[..separator]);
            if (separator >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(separator + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var parameter = Uri.UnescapeDataString(equals < 0 ? string.Empty : pair[(equals + 1)..]);
            try
            {
                builder[QueryAliases.GetValueOrDefault(key, key)] = parameter;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"The database URL's parameter '{key}' is not understood: {e.Message}", e);
            }
        }
        return builder.ConnectionString;
    }
}
