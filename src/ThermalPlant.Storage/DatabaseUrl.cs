using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace ThermalPlant.Storage;

/// <summary>
/// The database's address as operators write it: either a URL (<c>postgres://user:password@host:5432/db?sslmode=require</c>,
/// the form <c>THERMALPLANT_DB_URL</c> and most hosting panels use) or an Npgsql connection string
/// (<c>Host=...;Database=...</c>). Both become an Npgsql connection string.
/// </summary>
public static class DatabaseUrl
{
    /// <summary>The environment variable the CLI reads when no connection is given (<c>scripts/up</c> hands it to the scraper).</summary>
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
    /// <remarks>
    /// Every host and the CLI parse the address here, so both forms work everywhere. Error messages name the part or
    /// keyword at fault but never quote a value or carry Npgsql's exception (whose message may quote one), so a
    /// password cannot reach a log or a terminal through them.
    /// </remarks>
    /// <exception cref="FormatException">The URL or a keyword is not valid.</exception>
    public static string ToConnectionString(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var text = value.Trim();
        var builder = new NpgsqlConnectionStringBuilder();
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            var pairs = new DbConnectionStringBuilder();
            try
            {
                pairs.ConnectionString = text;
            }
            catch (ArgumentException)
            {
                throw new FormatException("Not a valid connection string; expected Keyword=value pairs separated by ';' (Host=...;Database=...) or a postgres:// URL.");
            }
            foreach (string key in pairs.Keys)
            {
                Set(builder, key, Convert.ToString(pairs[key], CultureInfo.InvariantCulture) ?? string.Empty, "connection string's keyword");
            }
            return builder.ConnectionString;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("Not a valid database URL; expected postgres://user:password@host:port/database, with reserved characters in the user and password percent-encoded.");
        }
        builder.Host = uri.IdnHost;
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
            Set(builder, QueryAliases.GetValueOrDefault(key, key), parameter, "database URL's parameter");
        }
        return builder.ConnectionString;
    }

    private static void Set(NpgsqlConnectionStringBuilder builder, string key, string value, string what)
    {
        try
        {
            builder[key] = value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw new FormatException($"The {what} '{key}' is not one Npgsql knows, or its value is not valid for it.");
        }
    }
}
