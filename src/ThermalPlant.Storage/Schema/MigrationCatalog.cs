using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace ThermalPlant.Storage.Schema;

/// <summary>One migration as it runs on one path: a version with no script for that path runs nothing but is still recorded.</summary>
/// <param name="Version">The number the file name starts with.</param>
/// <param name="Name">The rest of the file name, without the path suffix.</param>
/// <param name="Sql">The script; empty when the version has nothing to do on this path.</param>
/// <param name="Checksum">SHA-256 of the script, hex, to notice a script changed after it was applied.</param>
public sealed record Migration(int Version, string Name, string Sql, string Checksum);

/// <summary>
/// The numbered scripts of <c>db/</c>, embedded in this assembly. <c>NNNN_name.sql</c> runs on both paths;
/// <c>NNNN_name.plain.sql</c> and <c>NNNN_name.timescaledb.sql</c> are the two variants of one version.
/// </summary>
public static class MigrationCatalog
{
    private const string ResourcePrefix = "ThermalPlant.Storage.Migrations.";

    private static readonly IReadOnlyList<Script> Scripts = Load();

    /// <summary>Every version in order, as it runs on <paramref name="path"/>.</summary>
    public static IReadOnlyList<Migration> For(StoragePath path)
    {
        var result = new List<Migration>();
        foreach (var version in Scripts.GroupBy(s => s.Version).OrderBy(g => g.Key))
        {
            var script = version.FirstOrDefault(s => s.Variant == path) ?? version.FirstOrDefault(s => s.Variant is null);
            var name = (script ?? version.First()).Name;
            var sql = script?.Sql ?? string.Empty;
            result.Add(new Migration(version.Key, name, sql, Checksum(sql)));
        }
        return result;
    }

    private static List<Script> Load()
    {
        var assembly = typeof(MigrationCatalog).Assembly;
        var scripts = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var file = resource[ResourcePrefix.Length..^".sql".Length];
            StoragePath? variant = null;
            if (file.EndsWith(".plain", StringComparison.Ordinal))
            {
                variant = StoragePath.Plain;
                file = file[..^".plain".Length];
            }
            else if (file.EndsWith(".timescaledb", StringComparison.Ordinal))
            {
                variant = StoragePath.TimescaleDb;
                file = file[..^".timescaledb".Length];
            }
            var separator = file.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0 || !int.TryParse(file.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration resource {resource} is not named NNNN_name[.plain|.timescaledb].sql.");
            }
            scripts.Add(new Script(version, file[(separator + 1)..], variant, Read(assembly, resource)));
        }
        var duplicate = scripts.GroupBy(s => (s.Version, s.Variant)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Migration version {duplicate.Key.Version} has more than one script for the same path.");
        }
        return scripts;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Migration resource {resource} cannot be read.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Checksum(string sql) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));

    private sealed record Script(int Version, string Name, StoragePath? Variant, string Sql);
}
