using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// One of the seed bridge's YAML files (or one map inside it) read as the bridge reads it: upper-case keys taken
/// verbatim, scalars as text. What its users' files hold besides YAML is read leniently and reported: tab characters
/// (read as spaces), a comment glued to its value (<c>10# seconds</c>), a stray closing quote (<c>user'</c>), and the
/// published placeholders (<c>...</c>), which are reported as values to fill in rather than taken.
/// </summary>
internal sealed class BridgeYamlFile
{
    /// <summary>The bridge's files are a few kilobytes; anything far larger is not one of them.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>Nesting beyond this is not a bridge file (and deep nesting would exhaust the YAML reader's stack).</summary>
    private const int MaxFlowDepth = 16;

    /// <summary>The bridge's placeholder for a value its users must fill in.</summary>
    public const string Placeholder = "...";

    private readonly YamlMappingNode _map;
    private readonly ImportReport _report;
    private readonly string _prefix;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private BridgeYamlFile(string name, string prefix, YamlMappingNode map, ImportReport report)
    {
        Name = name;
        _prefix = prefix;
        _map = map;
        _report = report;
    }

    /// <summary>The file's name as messages give it, e.g. <c>config_modbus.yaml</c>.</summary>
    public string Name { get; }

    /// <summary>Reads and parses <paramref name="path"/>; every problem is an <see cref="ImportException"/> naming the file and line.</summary>
    public static async Task<BridgeYamlFile> LoadAsync(string path, ImportReport report, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        if (Directory.Exists(path)) throw new ImportException($"{path} is a folder; the bridge's {name} must be a file");
        if (!File.Exists(path)) throw new ImportException($"{path} is missing; the bridge's config/ folder holds config_gen.yaml, config_modbus.yaml, config_opcua.yaml and config_sql.yaml");
        if (new FileInfo(path).Length > MaxFileBytes) throw new ImportException($"{path} is larger than {MaxFileBytes / 1024} KiB; it is not one of the bridge's configuration files");
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ImportException($"{path} cannot be read: {ex.Message}");
        }
        return Parse(name, text, report);
    }

    /// <summary>Parses a file's text (see <see cref="LoadAsync"/>).</summary>
    public static BridgeYamlFile Parse(string name, string text, ImportReport report)
    {
        (text, var openQuote, var tabIndent) = ReplaceTabs(name, text, report);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            // YAML finds an unclosed quote only where the text stops making sense, often lines later: name its line too.
            var quote = openQuote is { } line && line <= ex.Start.Line ? $" (the quote opened on line {line} is not closed on that line)" : "";
            var tab = tabIndent is { } indent && indent <= ex.Start.Line ? $" (line {indent} is indented with a tab; YAML indents with spaces only)" : "";
            throw new ImportException($"{name}, line {ex.Start.Line}: {Innermost(ex).Message}{quote}{tab}");
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet reports a key given twice this way.
            throw new ImportException($"{name}: {ex.Message}");
        }
        if (stream.Documents.Count == 0) throw new ImportException($"{name} is empty; expected the bridge's KEY : value lines");
        if (stream.Documents.Count > 1) throw new ImportException($"{name} holds {stream.Documents.Count} YAML documents; the bridge reads exactly one");
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            throw new ImportException($"{name}, line {stream.Documents[0].RootNode.Start.Line}: expected the bridge's KEY : value lines, found {Describe(stream.Documents[0].RootNode)}");
        }
        return new BridgeYamlFile(name, "", map, report);
    }

    /// <summary>Whether <paramref name="key"/> is present (with any value).</summary>
    public bool Has(string key) => _map.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>
    /// The text of <paramref name="key"/>, or null when it is a placeholder (reported with <paramref name="targets"/>, the
    /// settings it would fill, none when the suite does not use it) or absent and not <paramref name="required"/>.
    /// </summary>
    public string? Text(string key, IReadOnlyList<string> targets, bool required = true)
    {
        if (Node(key, required) is not { } node) return null;
        if (node is not YamlScalarNode scalar) throw Wrong(key, node, "a single value");
        return Clean(scalar, key, targets);
    }

    /// <summary>An integer (decimal or <c>0x</c> hexadecimal, as YAML reads them) within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public int Integer(string key, int min, int max, int? fallback = null)
    {
        var text = Number(key, fallback is null);
        if (text is null) return fallback!.Value;
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        var ok = hex
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (!ok) throw new ImportException($"{Where(key)}: '{text}' is not a whole number");
        if (value < min || value > max) throw new ImportException($"{Where(key)}: {text} lies outside {min}..{max}");
        return value;
    }

    /// <summary>A number of seconds within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public double Seconds(string key, double min, double max, double? fallback = null)
    {
        var text = Number(key, fallback is null);
        if (text is null) return fallback!.Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new ImportException($"{Where(key)}: '{text}' is not a number of seconds");
        }
        if (value < min || value > max) throw new ImportException($"{Where(key)}: {text} s lies outside {min}..{max} s");
        return value;
    }

    /// <summary>The map under <paramref name="key"/> (e.g. <c>PEMEL_STATUS</c>), read with the same rules.</summary>
    public BridgeYamlFile Map(string key)
    {
        var node = Node(key, required: true)!;
        if (node is not YamlMappingNode map) throw Wrong(key, node, "a map of KEY : value lines");
        return new BridgeYamlFile(Name, _prefix + key + ".", map, _report);
    }

    /// <summary>
    /// The items of the list under <paramref name="key"/> (a single value counts as a list of one); a placeholder item
    /// is reported with the targets <paramref name="targets"/> gives for its index, and comes back as null.
    /// </summary>
    public IReadOnlyList<string?> List(string key, Func<int, IReadOnlyList<string>> targets)
    {
        var node = Node(key, required: true)!;
        if (node is YamlScalarNode single) return [Clean(single, key, targets(0))];
        if (node is not YamlSequenceNode sequence) throw Wrong(key, node, "a list of values");
        var items = new List<string?>(sequence.Children.Count);
        foreach (var child in sequence.Children)
        {
            var itemKey = $"{key}[{items.Count}]";
            if (child is not YamlScalarNode scalar) throw Wrong(itemKey, child, "a single value");
            items.Add(Clean(scalar, itemKey, targets(items.Count)));
        }
        return items;
    }

    /// <summary>The keys present that nothing read, for a note (older bridges' keys, a user's own additions).</summary>
    public IReadOnlyList<string> Unread()
    {
        var unread = new List<string>();
        foreach (var key in _map.Children.Keys)
        {
            var name = key is YamlScalarNode scalar ? scalar.Value ?? "" : key.ToString();
            if (!_read.Contains(name)) unread.Add(_prefix + name);
        }
        return unread;
    }

    /// <summary>The line of <paramref name="key"/>'s value, for messages.</summary>
    public string Where(string key) =>
        _map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? $"{Name}, line {node.Start.Line}: {_prefix}{key}" : $"{Name}: {_prefix}{key}";

    private YamlNode? Node(string key, bool required)
    {
        _read.Add(key);
        if (_map.Children.TryGetValue(new YamlScalarNode(key), out var node) && !IsNull(node)) return node;
        if (!required) return null;
        var present = _map.Children.ContainsKey(new YamlScalarNode(key));
        throw new ImportException(present ? $"{Where(key)} has no value" : $"{Name}: {_prefix}{key} is missing (keys are upper case, as the bridge reads them)");
    }

    // A number's text; a placeholder where a number belongs cannot be written into any setting, so it is an error.
    private string? Number(string key, bool required)
    {
        if (Node(key, required) is not { } node) return null;
        if (node is not YamlScalarNode scalar) throw Wrong(key, node, "a number");
        return Clean(scalar, key, [], placeholderAllowed: false);
    }

    private string? Clean(YamlScalarNode node, string key, IReadOnlyList<string> targets, bool placeholderAllowed = true)
    {
        var text = node.Value ?? "";
        var where = $"{Name}, line {node.Start.Line}: {_prefix}{key}";
        if (node.Style == ScalarStyle.Plain)
        {
            // YAML starts a comment only after white space; the bridge's YAML reader takes '10# seconds' as the text.
            var hash = text.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                var value = text[..hash].TrimEnd();
                _report.Note($"{where}: a comment is glued to the value ('{text}'); read as '{value}' (YAML needs a space before '#')");
                text = value;
            }
            if (text.Length > 1 && text[^1] is '\'' or '"' && text.IndexOf(text[^1], StringComparison.Ordinal) == text.Length - 1)
            {
                var value = text[..^1];
                _report.Note($"{where}: the value '{text}' ends in a stray quote; read as '{value}'");
                text = value;
            }
        }
        if (text != Placeholder) return text;
        if (!placeholderAllowed) throw new ImportException($"{where} is still the placeholder '{Placeholder}': fill in the number");
        _report.AddPlaceholder(new BridgePlaceholder(where, targets));
        return null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain } scalar && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private ImportException Wrong(string key, YamlNode node, string expected) =>
        new($"{Name}, line {node.Start.Line}: {_prefix}{key} must be {expected}, found {Describe(node)}");

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a map",
        YamlSequenceNode => "a list",
        YamlScalarNode scalar => $"'{scalar.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }

    // YAML reads tabs in few places (never as indentation), the bridge's files have them between values and comments and
    // in continued lists: outside quotes they are read as spaces, and noted once per file. Nesting is bounded on the way.
    // The first line that ends inside a quote (the bridge's values never span lines) and the first indented with a tab
    // are returned for error messages.
    private static (string Text, int? OpenQuote, int? TabIndent) ReplaceTabs(string name, string text, ImportReport report)
    {
        int? openQuote = null;
        int? tabIndent = null;
        var indenting = true;
        var builder = new StringBuilder(text.Length);
        var lines = new List<int>();
        var line = 1;
        var depth = 0;
        char quote = '\0';
        var comment = false;
        var previous = '\n';
        foreach (var c in text)
        {
            var appended = c;
            if (c == '\n')
            {
                line++;
                comment = false;
            }
            else if (comment) { }
            else if (quote != '\0')
            {
                if (c == quote) quote = '\0';
            }
            else if (c is '\'' or '"' && (previous is ' ' or '\t' or '[' or '{' or ',' or ':' or '\n')) quote = c;
            else if (c == '#' && previous is ' ' or '\t' or '\n') comment = true;
            else if (c is '[' or '{' && ++depth > MaxFlowDepth) throw new ImportException($"{name}, line {line}: lists or maps nested deeper than {MaxFlowDepth}; this is not a bridge file");
            else if (c is ']' or '}' && depth > 0) depth--;
            else if (c == '\t')
            {
                if (indenting) tabIndent ??= line;
                appended = ' ';
                if (lines.Count == 0 || lines[^1] != line) lines.Add(line);
            }
            if (c == '\n' && quote != '\0')
            {
                openQuote ??= line - 1;
                quote = '\0';
            }
            indenting = c == '\n' || (indenting && c is ' ' or '\t');
            builder.Append(appended);
            previous = c;
        }
        if (lines.Count > 0) report.Note($"{name}: tab characters read as spaces on line{(lines.Count > 1 ? "s" : "")} {string.Join(", ", lines)}");
        return (builder.ToString(), openQuote, tabIndent);
    }
}

/// <summary>A placeholder (<c>...</c>) found in the bridge's files: where, and the settings it would fill (none: not used by the suite).</summary>
internal sealed record BridgePlaceholder(string Where, IReadOnlyList<string> Targets);

/// <summary>What an import tells its user besides the configuration: notes, and the placeholders left to fill in.</summary>
internal sealed class ImportReport
{
    private readonly List<string> _notes = [];
    private readonly List<BridgePlaceholder> _placeholders = [];

    /// <summary>Notes on what was read leniently or is not carried over.</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Every placeholder found, in file order.</summary>
    public IReadOnlyList<BridgePlaceholder> Placeholders => _placeholders;

    /// <summary>Whether a placeholder stands where the written configuration needs a value.</summary>
    public bool HasNeededPlaceholders => _placeholders.Exists(p => p.Targets.Count > 0);

    /// <summary>Adds a note.</summary>
    public void Note(string note) => _notes.Add(note);

    /// <summary>Adds a placeholder.</summary>
    public void AddPlaceholder(BridgePlaceholder placeholder) => _placeholders.Add(placeholder);

    /// <summary>Whether <paramref name="error"/> (a validation message, which starts with its setting's key) is about a setting left to fill in.</summary>
    public bool IsAboutPlaceholder(string error) =>
        _placeholders.Exists(p => p.Targets.Any(t => error.StartsWith(t, StringComparison.Ordinal)));
}
