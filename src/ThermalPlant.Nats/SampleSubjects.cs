using System.Text;

namespace ThermalPlant.Nats;

/// <summary>
/// The subjects samples are published on: <c>{prefix}.{site}.{sensor}</c>, for example
/// <c>thermalplant.samples.plant01.temperature</c>. Consumers select by site (<c>{prefix}.plant01.></c>, what a
/// storage shard takes) or by sensor across sites (<c>{prefix}.*.temperature</c>). The tag is not a subject level:
/// a message carries a batch of many tags of one sensor, since a message per sample would cost its headers and an
/// acknowledgement per value.
/// </summary>
public static class SampleSubjects
{
    /// <summary>The subject of the samples of <paramref name="sensor"/> at <paramref name="site"/>.</summary>
    public static string For(string prefix, string site, string sensor) => $"{prefix}.{site}.{Token(sensor)}";

    /// <summary>Every subject of <paramref name="site"/> (a consumer's filter).</summary>
    public static string Site(string prefix, string site) => $"{prefix}.{site}.>";

    /// <summary>The subject of the events of <paramref name="site"/>, under the events' own prefix (so no sample consumer takes them).</summary>
    public static string Events(string eventPrefix, string site) => $"{eventPrefix}.{site}";

    /// <summary>Every subject under <paramref name="prefix"/> (the stream's subject).</summary>
    public static string All(string prefix) => $"{prefix}.>";

    /// <summary>A name as one subject token: characters NATS gives a meaning (<c>. * > </c>, white space) become <c>_</c>; empty becomes <c>_</c>.</summary>
    public static string Token(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) return "_";
        var builder = new StringBuilder(name.Length);
        foreach (var c in name) builder.Append(c is '.' or '*' or '>' || char.IsWhiteSpace(c) || char.IsControl(c) ? '_' : c);
        return builder.ToString();
    }

    /// <summary>Whether <paramref name="name"/> is usable as a token as it is (site names must be: they are configured, not derived).</summary>
    public static bool IsToken(string? name) => !string.IsNullOrEmpty(name) && name.Length <= 64 && string.Equals(Token(name), name, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="prefix"/> is one or more tokens separated by dots, without wildcards.</summary>
    public static bool IsPrefix(string? prefix) => !string.IsNullOrEmpty(prefix) && prefix.Split('.').All(IsToken);

    /// <summary>Whether the subject <paramref name="subject"/> (no wildcards) falls under the filter <paramref name="filter"/> (<c>*</c>, <c>></c> allowed).</summary>
    public static bool Matches(string filter, string subject)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(subject);
        if (filter.Length == 0) return true;
        var f = filter.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < f.Length; i++)
        {
            if (f[i] == ">") return s.Length > i;
            if (i >= s.Length) return false;
            if (f[i] != "*" && !string.Equals(f[i], s[i], StringComparison.Ordinal)) return false;
        }
        return f.Length == s.Length;
    }
}
