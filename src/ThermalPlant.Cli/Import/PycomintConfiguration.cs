using System.Text;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// The seed bridge's configuration as it reads it: <c>config/config_gen.yaml</c>, <c>config_modbus.yaml</c>,
/// <c>config_opcua.yaml</c> and <c>config_sql.yaml</c> under its working directory (its repository root), which also
/// holds the calibration table <c>H2_FLOW_ARRAY</c> names. Values that are still placeholders are null here and
/// reported with the settings they would fill (the <c>Scraper:</c> keys the import writes).
/// </summary>
internal sealed class PycomintConfiguration
{
    public const string GeneralFile = "config_gen.yaml";
    public const string ModbusFile = "config_modbus.yaml";
    public const string OpcUaFile = "config_opcua.yaml";
    public const string SqlFile = "config_sql.yaml";

    private const string Link = "Bridge:Links:0";
    private const string Device = "Scraper:Modbus:Devices:0";
    private const string Endpoint = "Scraper:OpcUa:Endpoints:0";

    /// <summary>The bridge's working directory: relative paths in its files are read from here.</summary>
    public required string Root { get; init; }

    /// <summary>The folder the four files were read from.</summary>
    public required string ConfigFolder { get; init; }

    public double ControlInterval { get; private set; }

    public double StorageInterval { get; private set; }

    public double ReconnectionInterval { get; private set; }

    public string? ModbusHost { get; private set; }

    public int ModbusPort { get; private set; }

    public int SlaveId { get; private set; }

    public int BaseRegisterOffset { get; private set; }

    public int StatusAddress { get; private set; }

    /// <summary>The 16 status flags' names from <c>BIT_0</c> .. <c>BIT_15</c>, as the file gives them.</summary>
    public string[] StatusBits { get; private set; } = [];

    public int ProcessValuesAddress { get; private set; }

    /// <summary>The process values' names from <c>REG_0</c> .. (<c>COUNT</c> of them), as the file gives them.</summary>
    public string[] ProcessValues { get; private set; } = [];

    public int WriteRegister { get; private set; }

    public int MaxRetries { get; private set; }

    public double? RetryInterval { get; private set; }

    public int MaxCurrent { get; private set; }

    public int MinCurrent { get; private set; }

    /// <summary>The calibration table's full path, or null while <c>H2_FLOW_ARRAY</c> is a placeholder.</summary>
    public string? CalibrationFile { get; private set; }

    public string? OpcUaUrl { get; private set; }

    public string? UserName { get; private set; }

    /// <summary>The OPC UA password; null when there is none or it is a placeholder (<see cref="PasswordIsPlaceholder"/>).</summary>
    public string? Password { get; private set; }

    public bool PasswordIsPlaceholder { get; private set; }

    /// <summary>The node ids stored every storage cycle, in the bridge's order (null items: placeholders).</summary>
    public IReadOnlyList<string?> StoredNodes { get; private set; } = [];

    /// <summary>The node of the requested hydrogen flow (the control link's input), or null while a placeholder.</summary>
    public string? H2FlowNode { get; private set; }

    /// <summary>The bridge's table, or null while a placeholder.</summary>
    public string? Table { get; private set; }

    /// <summary>The table's columns as the file names them: the timestamp, then one per value the bridge inserted, in order.</summary>
    public IReadOnlyList<string?> Columns { get; private set; } = [];

    /// <summary>
    /// Reads the bridge's files from <paramref name="path"/>, its repository root (holding <c>config/</c>) or its
    /// <c>config/</c> folder; every problem is an <see cref="ImportException"/> that names the file and line.
    /// </summary>
    public static async Task<PycomintConfiguration> LoadAsync(string path, ImportReport report, CancellationToken cancellationToken)
    {
        var (root, folder) = Locate(path);
        var configuration = new PycomintConfiguration { Root = root, ConfigFolder = folder };
        var general = await BridgeYamlFile.LoadAsync(Path.Combine(folder, GeneralFile), report, cancellationToken);
        var modbus = await BridgeYamlFile.LoadAsync(Path.Combine(folder, ModbusFile), report, cancellationToken);
        var opcua = await BridgeYamlFile.LoadAsync(Path.Combine(folder, OpcUaFile), report, cancellationToken);
        var sql = await BridgeYamlFile.LoadAsync(Path.Combine(folder, SqlFile), report, cancellationToken);
        configuration.ReadGeneral(general);
        configuration.ReadModbus(modbus);
        configuration.ReadOpcUa(opcua);
        configuration.ReadSql(sql);
        foreach (var file in new[] { general, modbus, opcua, sql })
        {
            var unread = file.Unread();
            if (unread.Count > 0) report.Note($"{file.Name}: not used by the suite: {string.Join(", ", unread)}");
        }
        return configuration;
    }

    // The bridge opens config/config_*.yaml relative to its working directory: given the root, the files are in config/;
    // given config/ itself, the root is its parent.
    private static (string Root, string Folder) Locate(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full)) throw new ImportException($"{full} is a file; give the bridge's repository root (the folder holding config/) or its config/ folder");
        if (!Directory.Exists(full)) throw new ImportException($"{full} does not exist");
        var config = Path.Combine(full, "config");
        if (Directory.Exists(config)) return (full, config);
        if (File.Exists(config)) throw new ImportException($"{config} is a file; the bridge's config/ must be a folder holding its four YAML files");
        if (File.Exists(Path.Combine(full, GeneralFile)) || Directory.Exists(Path.Combine(full, GeneralFile)))
        {
            return (Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full)) ?? full, full);
        }
        throw new ImportException($"{full} holds neither config/ nor {GeneralFile}; give the bridge's repository root (the folder holding config/) or its config/ folder");
    }

    private void ReadGeneral(BridgeYamlFile file)
    {
        ControlInterval = file.Seconds("PEMEL_CONTROL_INTERVAL", 0.1, 3600);
        StorageInterval = file.Seconds("DATA_STORAGE_INTERVAL", 0.1, 3600);
        ReconnectionInterval = file.Seconds("RECONNECTION_INTERVAL", 1, 3600, fallback: 10);
    }

    private void ReadModbus(BridgeYamlFile file)
    {
        ModbusHost = file.Text("IP_ADDRESS", [$"{Device}:Host", $"{Link}:Target:Host"]);
        ModbusPort = file.Integer("PORT", 1, 65535);
        SlaveId = file.Integer("SLAVE_ID", 0, 255);
        BaseRegisterOffset = file.Integer("BASE_REGISTER_OFFSET", -65535, 65535);

        var status = file.Map("PEMEL_STATUS");
        StatusAddress = status.Integer("ADDRESS", 0, 65535);
        StatusBits = new string[16];
        for (var i = 0; i < StatusBits.Length; i++)
        {
            StatusBits[i] = status.Text($"BIT_{i}", [$"{Device}:Map:Registers:0:Flags:{i}"], required: false) ?? "";
        }
        var unknown = status.Unread();
        if (unknown.Count > 0) throw new ImportException($"{ModbusFile}: {string.Join(", ", unknown)}: a 16-bit status word has BIT_0 .. BIT_15 only");

        var values = file.Map("PROCESS_VALUES");
        ProcessValuesAddress = values.Integer("ADDRESS", 0, 65535);
        // One read of COUNT holding registers: Modbus allows at most 125.
        ProcessValues = new string[values.Integer("COUNT", 1, 125)];
        for (var i = 0; i < ProcessValues.Length; i++)
        {
            ProcessValues[i] = values.Text($"REG_{i}", [$"{Device}:Map:Registers:{i + 1}:Name"], required: false) ?? "";
        }
        var extra = values.Unread();
        if (extra.Count > 0) throw new ImportException($"{ModbusFile}: {string.Join(", ", extra)} lie beyond COUNT ({ProcessValues.Length}); the bridge reads REG_0 .. REG_{ProcessValues.Length - 1}");

        WriteRegister = file.Integer("WRITE_REGISTER", 0, 65535);
        MaxRetries = file.Integer("MAX_RETRIES", 1, 100);
        RetryInterval = file.Has("RETRY_INTERVAL") ? file.Seconds("RETRY_INTERVAL", 0, 3600) : null;
        MaxCurrent = file.Integer("MAX_CURRENT", 0, 65535);
        MinCurrent = file.Integer("MIN_CURRENT", 0, 65535);
        if (MinCurrent > MaxCurrent) throw new ImportException($"{file.Where("MIN_CURRENT")}: {MinCurrent} A lies above MAX_CURRENT ({MaxCurrent} A)");
        var table = file.Text("H2_FLOW_ARRAY", [$"{Link}:CalibrationFile"]);
        CalibrationFile = table is null ? null : FullPath(file.Where("H2_FLOW_ARRAY"), table);
    }

    private void ReadOpcUa(BridgeYamlFile file)
    {
        OpcUaUrl = file.Text("URL", [$"{Endpoint}:Url", $"{Link}:Source:EndpointUrl"]);
        UserName = file.Text("USERNAME", [$"{Endpoint}:UserName", $"{Link}:Source:UserName"], required: false);
        Password = file.Text("PASSWORD", [$"{Endpoint}:Password", $"{Link}:Source:Password"], required: false);
        PasswordIsPlaceholder = Password is null && file.Has("PASSWORD") && UserName is not null;
        StoredNodes = file.List("OPCUA_NODE_IDs", i => [$"{Endpoint}:Nodes:{i}:NodeId"]);
        var h2 = file.List("H2_FLOW_ID", _ => [$"{Link}:Source:NodeId"]);
        if (h2.Count == 0) throw new ImportException($"{file.Where("H2_FLOW_ID")} lists no node; the control link needs the requested hydrogen flow's node");
        // The bridge reads every listed node and uses the first value as the set point.
        if (h2.Count > 1) throw new ImportException($"{file.Where("H2_FLOW_ID")} lists {h2.Count} nodes; the bridge uses the first value only, so list one");
        H2FlowNode = h2[0];
    }

    private void ReadSql(BridgeYamlFile file)
    {
        // The suite stores into its own database: the bridge's server, database and login are reported, not written.
        file.Text("DB_HOST", [], required: false);
        file.Integer("DB_PORT", 1, 65535, fallback: 5432);
        file.Text("DB_NAME", [], required: false);
        file.Text("DB_USER", [], required: false);
        file.Text("DB_PASSWORD", [], required: false);
        Table = file.Text("DB_TABLE", ["Scraper:WideRow:Table"]);
        Columns = file.List("DB_COLUMNS", i => [$"Scraper:WideRow:{(i == 0 ? "TimestampColumn" : $"Columns:{i - 1}:Name")}"]);
    }

    private string FullPath(string where, string relative)
    {
        try
        {
            return Path.GetFullPath(Path.Combine(Root, relative));
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ImportException($"{where}: '{relative}' is not a path: {ex.Message}");
        }
    }

    /// <summary>
    /// A name from the bridge's files as a tag name: lower case, each run of characters other than letters, digits
    /// and <c>_</c> made one <c>_</c> (<c>Hydrogen cooling temperature reached</c> becomes
    /// <c>hydrogen_cooling_temperature_reached</c>, <c>EL_Power_Act</c> becomes <c>el_power_act</c>).
    /// </summary>
    public static string TagName(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            if (char.IsLetterOrDigit(c) || c == '_') builder.Append(char.ToLowerInvariant(c));
            else if (builder.Length > 0 && builder[^1] != '_') builder.Append('_');
        }
        return builder.ToString().TrimEnd('_');
    }
}
