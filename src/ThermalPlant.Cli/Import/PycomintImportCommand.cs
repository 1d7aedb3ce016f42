using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// <c>thermalplant import-pycomint DIR</c>: turns the seed bridge's four YAML files (general, modbus, opcua, sql)
/// into the scraper's configuration (<c>Scraper:Modbus</c>, <c>Scraper:OpcUa</c>, <c>Scraper:WideRow</c>) and the
/// control bridge's (<c>Bridge:Links</c>): the control link, the Modbus device with the PEMEL register map, the methanation endpoint
/// collecting exactly the bridge's nodes (a node list, polled at the bridge's storage interval, as the bridge read
/// them), and the bridge's wide-row table (<see cref="PycomintWideRowMapping"/>). Secrets are never written into the JSON:
/// they belong in the environment, and <c>--env-file</c> writes the OPC UA password in that form (a file readable by
/// its owner only).
/// </summary>
internal static class PycomintImportCommand
{
    private const string MethanationSensor = "methanation";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IgnoreReadOnlyProperties = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var directory = new Argument<DirectoryInfo>("dir") { Description = "Folder holding the bridge's general.yaml, modbus.yaml, opcua.yaml and sql.yaml" };
        var outputFile = new Option<FileInfo?>("--output") { Description = "Write the JSON to this file instead of standard output" };
        var envFile = new Option<FileInfo?>("--env-file") { Description = "Write the secrets (the OPC UA password) to this file as environment variables, for .env or a systemd EnvironmentFile" };
        var command = new Command("import-pycomint", "Turn the seed bridge's YAML configuration into ThermalPlant appsettings JSON") { directory, outputFile, envFile };
        command.SetAction(async (result, cancel) =>
        {
            try
            {
                var (document, notes) = await ImportAsync(result.GetValue(directory)!.FullName, cancel);
                await WriteSecretsAsync(document, result.GetValue(envFile), notes, cancel);
                foreach (var note in notes) await error.WriteLineAsync($"note: {note}");
                var text = JsonSerializer.Serialize(document, Json);
                if (result.GetValue(outputFile) is { } file) await File.WriteAllTextAsync(file.FullName, text + "\n", cancel);
                else await output.WriteLineAsync(text);
                return 0;
            }
            catch (Exception ex) when (ex is ImportException or IOException or YamlException or FormatException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    internal static async Task<(ImportedConfiguration Document, List<string> Notes)> ImportAsync(string directory, CancellationToken cancellationToken)
    {
        var general = await ReadAsync<PycomintGeneral>(directory, "general.yaml", cancellationToken);
        var modbus = await ReadAsync<PycomintModbus>(directory, "modbus.yaml", cancellationToken);
        var opcua = await ReadAsync<PycomintOpcUa>(directory, "opcua.yaml", cancellationToken);
        var sql = await ReadAsync<PycomintSql>(directory, "sql.yaml", cancellationToken);
        var notes = new List<string>();

        var baseAddress = ParseAddress(modbus.BaseOffset, "modbus.yaml: base_offset");
        var status = ParseAddress(modbus.Registers.Status, "modbus.yaml: registers.status");
        var processValues = ParseAddress(modbus.Registers.ProcessValues, "modbus.yaml: registers.process_values");
        var setPoint = ParseAddress(modbus.Registers.CurrentSetpoint, "modbus.yaml: registers.current_setpoint");
        if (modbus.UnitRead is < 0 or > 255) throw new ImportException($"modbus.yaml: unit_read {modbus.UnitRead} is not a unit id (0..255)");
        if (modbus.UnitWrite is { } unitWrite && unitWrite != modbus.UnitRead)
        {
            notes.Add($"the bridge read with unit {modbus.UnitRead} and wrote with unit {unitWrite}; the suite uses one unit id for both, {modbus.UnitRead} (the one its reads answered on)");
        }

        var calibration = Path.GetFullPath(Path.Combine(directory, modbus.CalibrationTable));
        try
        {
            var table = await CalibrationTable.LoadAsync(calibration, modbus.Current.Max, modbus.Current.Min, cancellationToken);
            notes.Add($"calibration table {calibration}: {table.Points.Count} rows, {table.MinFlow}..{table.MaxFlow} NL/min");
        }
        catch (Exception ex) when (ex is FormatException or IOException or ArgumentOutOfRangeException)
        {
            throw new ImportException($"modbus.yaml: calibration_table: {ex.Message}");
        }

        var map = PemelRegisterMap.Create(baseAddress);
        Relocate(map, status, processValues);
        var requestTimeout = TimeSpan.FromSeconds(modbus.Timeout);
        var link = new PemelLinkOptions
        {
            Name = "pemel",
            Period = TimeSpan.FromSeconds(general.ControlInterval),
            Source = new OpcUaSourceOptions
            {
                EndpointUrl = opcua.Url,
                NodeId = opcua.Nodes.H2FlowRequest,
                UserName = string.IsNullOrEmpty(opcua.User) ? null : opcua.User,
                Password = string.IsNullOrEmpty(opcua.User) ? null : opcua.Password ?? string.Empty,
            },
            Target = new ModbusTargetOptions
            {
                Host = modbus.Address,
                Port = modbus.Port,
                UnitId = (byte)modbus.UnitRead,
                BaseAddress = baseAddress,
                SetPointAddress = setPoint,
                RequestTimeout = requestTimeout,
            },
            Enable = new EnableConditionOptions { Address = status, Bit = PemelRegisterMap.CoolingTemperatureReachedBit, Name = PemelRegisterMap.CoolingTemperatureReached },
            CalibrationFile = calibration,
            MaxCurrent = modbus.Current.Max,
            MinCurrent = modbus.Current.Min,
            Maximum = modbus.Current.Max,
        };
        var errors = new List<string>();
        link.Validate("Bridge:Links:0", errors);
        foreach (var mapError in map.Validate("Scraper:Modbus:Devices:0:Map:")) errors.Add(mapError);
        if (errors.Count > 0) throw new ImportException("the imported configuration is not valid: " + string.Join("; ", errors));

        if (string.IsNullOrEmpty(opcua.User) && !string.IsNullOrEmpty(opcua.Password))
        {
            notes.Add("opcua.yaml has a password but no user: the methanation PLC is read in anonymous sessions");
        }
        if (!string.IsNullOrEmpty(sql.Password)) notes.Add("sql.yaml's password is not written out: set Storage__Password (or the connection string) in the environment");
        var storageInterval = TimeSpan.FromSeconds(general.StorageInterval);
        // The bridge stored the flow request next to the storage nodes (its wide row has a column for it).
        var nodes = new List<ImportedNode> { new(opcua.Nodes.H2FlowRequest, MethanationSensor, "h2_flow_request") };
        foreach (var (name, node) in opcua.Nodes.Storage) nodes.Add(new ImportedNode(node, MethanationSensor, name));
        var document = new ImportedConfiguration(
            new ScraperSection(
                new OpcUaSection([new OpcUaEndpoint(opcua.Url, link.Source.UserName, "Poll", storageInterval, nodes)]),
                new ModbusSection([new ModbusDevice("pemel", modbus.Address, modbus.Port, (byte)modbus.UnitRead, storageInterval, requestTimeout, modbus.Retries, map)]),
                PycomintWideRowMapping.Map(sql, opcua, "pemel", storageInterval, notes)),
            new BridgeSection([link]));
        return (document, notes);
    }

    // The password goes to the environment file when one is asked for; otherwise a note names the variable to set.
    private static async Task WriteSecretsAsync(ImportedConfiguration document, FileInfo? envFile, List<string> notes, CancellationToken cancellationToken)
    {
        const string EndpointVariable = "Scraper__OpcUa__Endpoints__0__Password";
        const string LinkVariable = "Bridge__Links__0__Source__Password";
        var source = document.Bridge.Links[0].Source;
        if (source.UserName is null) return;
        if (envFile is null)
        {
            notes.Add($"the methanation PLC is read as user '{source.UserName}': set {EndpointVariable} and {LinkVariable} in the environment (or use --env-file); the password is not written into the JSON");
            return;
        }
        if (source.Password!.AsSpan().ContainsAny('\n', '\r')) throw new ImportException("opcua.yaml: the password contains a line break, which an environment file cannot hold");
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(envFile.FullName, fileOptions))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync($"{EndpointVariable}={source.Password}".AsMemory(), cancellationToken);
            await writer.WriteLineAsync($"{LinkVariable}={source.Password}".AsMemory(), cancellationToken);
        }
        notes.Add($"the methanation PLC is read as user '{source.UserName}'; its password is in {envFile.FullName}");
    }

    // The published map puts the status word and the process values at fixed addresses; a bridge configured with other
    // addresses keeps its layout (16 flags, then 14 consecutive values) at its own addresses.
    private static void Relocate(RegisterMap map, int status, int processValues)
    {
        map.Registers[0].Address = status;
        for (var i = 1; i < map.Registers.Count; i++) map.Registers[i].Address = processValues + i - 1;
    }

    private static async Task<T> ReadAsync<T>(string directory, string name, CancellationToken cancellationToken)
        where T : new()
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path)) throw new ImportException($"{path} is missing; the bridge's configuration has general.yaml, modbus.yaml, opcua.yaml and sql.yaml");
        var deserializer = new DeserializerBuilder().WithNamingConvention(UnderscoredNamingConvention.Instance).IgnoreUnmatchedProperties().Build();
        try
        {
            return deserializer.Deserialize<T>(await File.ReadAllTextAsync(path, cancellationToken)) ?? new T();
        }
        catch (YamlException ex)
        {
            throw new ImportException($"{name}, line {ex.Start.Line}: {ex.InnerException?.Message ?? ex.Message}");
        }
    }

    private static int ParseAddress(string text, string key)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        return ok && value is >= -65535 and <= 65535 ? value : throw new ImportException($"{key}: '{text}' is not a register address");
    }
}

/// <summary>The import found something it cannot turn into configuration.</summary>
internal sealed class ImportException(string message) : Exception(message);

/// <summary>The appsettings document the import writes: the scraper's and the bridge's sections, in the shape their options bind.</summary>
internal sealed record ImportedConfiguration(ScraperSection Scraper, BridgeSection Bridge);

/// <summary>The <c>Scraper</c> section.</summary>
internal sealed record ScraperSection(
    OpcUaSection OpcUa,
    ModbusSection Modbus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] WideRowSection? WideRow);

/// <summary>The <c>Bridge</c> section: its control links.</summary>
internal sealed record BridgeSection(IReadOnlyList<PemelLinkOptions> Links);

/// <summary>The <c>Scraper:Modbus</c> section: its devices.</summary>
internal sealed record ModbusSection(IReadOnlyList<ModbusDevice> Devices);

/// <summary>One polled Modbus device.</summary>
internal sealed record ModbusDevice(string Name, string Host, int Port, byte UnitId, TimeSpan PollInterval, TimeSpan RequestTimeout, int Retries, RegisterMap Map);

/// <summary>The <c>Scraper:OpcUa</c> section: its endpoints.</summary>
internal sealed record OpcUaSection(IReadOnlyList<OpcUaEndpoint> Endpoints);

/// <summary>One OPC UA endpoint collecting a list of nodes, logging in as <paramref name="UserName"/> when the bridge did.</summary>
internal sealed record OpcUaEndpoint(
    string Url,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserName,
    string Mode,
    TimeSpan PollInterval,
    IReadOnlyList<ImportedNode> Nodes);

/// <summary>A listed node and the names its values are stored under.</summary>
internal sealed record ImportedNode(string NodeId, string SensorName, string TagName);
