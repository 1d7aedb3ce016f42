using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThermalPlant.Control.Links;
using ThermalPlant.Control.Sources;
using ThermalPlant.Modbus.Maps;
using ThermalPlant.PowerToGas;
using ThermalPlant.PowerToGas.Calibration;

namespace ThermalPlant.Cli.Import;

/// <summary>
/// <c>thermalplant import-pycomint DIR</c>: turns the seed bridge's configuration (<c>config/config_gen.yaml</c>,
/// <c>config_modbus.yaml</c>, <c>config_opcua.yaml</c>, <c>config_sql.yaml</c>, and the calibration table they name)
/// into the scraper's (<c>Scraper:Modbus</c>, <c>Scraper:OpcUa</c>, <c>Scraper:WideRow</c>) and the control bridge's
/// (<c>Bridge:Links</c>): the control link, the Modbus device with the register map the bridge's files describe (flag and value names taken
/// from them), the methanation endpoint collecting exactly the bridge's nodes (polled at its storage interval), and the
/// bridge's wide-row table (<see cref="PycomintWideRowMapping"/>). Secrets are never written into the JSON: they belong
/// in the environment, and <c>--env-file</c> writes the OPC UA password in that form (a file readable by its owner only).
/// Exit codes: 0 written and complete, <see cref="PlaceholdersLeft"/> written with values left to fill in (the
/// bridge's <c>...</c> placeholders, listed on standard error), 1 nothing written (the error on standard error).
/// </summary>
internal static class PycomintImportCommand
{
    /// <summary>The exit code of an import that was written but still has placeholders where the configuration needs values.</summary>
    public const int PlaceholdersLeft = 2;

    private const string MethanationSensor = "methanation";
    private const string PemelDevice = "pemel";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        IgnoreReadOnlyProperties = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var directory = new Argument<DirectoryInfo>("dir") { Description = "The bridge's repository root (the folder holding config/) or its config/ folder" };
        var outputFile = new Option<FileInfo?>("--output") { Description = "Write the JSON to this file instead of standard output" };
        var envFile = new Option<FileInfo?>("--env-file") { Description = "Write the secrets (the OPC UA password) to this file as environment variables, for .env or a systemd EnvironmentFile" };
        var command = new Command("import-pycomint", $"Turn the seed bridge's YAML configuration into ThermalPlant appsettings JSON (exit code {PlaceholdersLeft}: written, but placeholders '...' are left to fill in)") { directory, outputFile, envFile };
        command.SetAction(async (result, cancel) =>
        {
            try
            {
                var (document, report) = await ImportAsync(result.GetValue(directory)!.FullName, cancel);
                await WriteSecretsAsync(document, result.GetValue(envFile), report, cancel);
                foreach (var note in report.Notes) await error.WriteLineAsync($"note: {note}");
                foreach (var placeholder in report.Placeholders)
                {
                    await error.WriteLineAsync(placeholder.Targets.Count > 0
                        ? $"fill in: {placeholder.Where} is the placeholder '...'; set {string.Join(" and ", placeholder.Targets)}"
                        : $"placeholder: {placeholder.Where} is '...' (not used by the suite)");
                }
                var text = JsonSerializer.Serialize(document, Json);
                if (result.GetValue(outputFile) is { } file) await File.WriteAllTextAsync(file.FullName, text + "\n", cancel);
                else await output.WriteLineAsync(text);
                return report.HasNeededPlaceholders ? PlaceholdersLeft : 0;
            }
            catch (Exception ex) when (ex is ImportException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    internal static async Task<(ImportedConfiguration Document, ImportReport Report)> ImportAsync(string path, CancellationToken cancellationToken)
    {
        var report = new ImportReport();
        var bridge = await PycomintConfiguration.LoadAsync(path, report, cancellationToken);
        if (bridge.CalibrationFile is { } calibration) await CheckCalibrationAsync(bridge, calibration, report, cancellationToken);

        var flags = Names(bridge.StatusBits, "BIT", i => $"bit_{i}", report);
        var values = Names(bridge.ProcessValues, "REG", i => $"unknown_{i}", report);
        // The bridge reads at ADDRESS - BASE_REGISTER_OFFSET but writes WRITE_REGISTER as given; the map and the link
        // add their BaseAddress to every address, so the offset goes in negated and the write address is compensated.
        var baseAddress = -bridge.BaseRegisterOffset;
        var map = new RegisterMap { BaseAddress = baseAddress };
        map.Registers.Add(new RegisterDefinition { Name = "status", Table = RegisterTable.Holding, Address = bridge.StatusAddress, Type = RegisterDataType.UInt16, Flags = [.. flags] });
        for (var i = 0; i < values.Length; i++)
        {
            map.Registers.Add(new RegisterDefinition { Name = values[i], Table = RegisterTable.Holding, Address = bridge.ProcessValuesAddress + i, Type = RegisterDataType.UInt16 });
        }
        if (bridge.BaseRegisterOffset != 0)
        {
            report.Note($"BASE_REGISTER_OFFSET {bridge.BaseRegisterOffset}: the bridge subtracts it from its read addresses but not from WRITE_REGISTER; the imported map and link address the same registers");
        }

        var reconnection = TimeSpan.FromSeconds(bridge.ReconnectionInterval);
        var requestTimeout = TimeSpan.FromSeconds(1);
        var link = new PemelLinkOptions
        {
            Name = PemelDevice,
            Period = TimeSpan.FromSeconds(bridge.ControlInterval),
            Source = new OpcUaSourceOptions
            {
                EndpointUrl = bridge.OpcUaUrl ?? "",
                NodeId = bridge.H2FlowNode ?? "",
                UserName = bridge.UserName,
                // The password reaches the scraper from the environment; a placeholder's is as absent as the JSON's.
                Password = bridge.UserName is null ? null : bridge.Password ?? "",
                MaxReconnectDelay = reconnection,
            },
            Target = new ModbusTargetOptions
            {
                Host = bridge.ModbusHost ?? "",
                Port = bridge.ModbusPort,
                UnitId = (byte)bridge.SlaveId,
                BaseAddress = baseAddress,
                SetPointAddress = bridge.WriteRegister + bridge.BaseRegisterOffset,
                RequestTimeout = requestTimeout,
            },
            // The bridge writes only while BIT_10 is set (hydrogen cooling temperature reached).
            Enable = new EnableConditionOptions { Address = bridge.StatusAddress, Bit = PemelRegisterMap.CoolingTemperatureReachedBit, Name = flags[PemelRegisterMap.CoolingTemperatureReachedBit] },
            CalibrationFile = bridge.CalibrationFile ?? "",
            MaxCurrent = bridge.MaxCurrent,
            MinCurrent = bridge.MinCurrent,
            Maximum = bridge.MaxCurrent,
        };
        var errors = new List<string>();
        link.Validate("Bridge:Links:0", errors);
        errors.AddRange(map.Validate("Scraper:Modbus:Devices:0:Map:"));
        errors.RemoveAll(report.IsAboutPlaceholder);
        if (errors.Count > 0) throw new ImportException("the imported configuration is not valid: " + string.Join("; ", errors));

        if (bridge.UserName is null && bridge.Password is not null) report.Note($"{PycomintConfiguration.OpcUaFile} has a PASSWORD but no USERNAME: the methanation PLC is read in anonymous sessions");
        var retries = Math.Min(bridge.MaxRetries - 1, 10);
        report.Note($"MAX_RETRIES {bridge.MaxRetries}: a failed Modbus poll is repeated {retries} time(s) in the same cycle (Scraper:Modbus:Devices:0:Retries, at most 10)"
            + (bridge.RetryInterval is { } pause ? $", at once: RETRY_INTERVAL ({pause} s) has no counterpart" : ""));
        report.Note($"SLAVE_ID {bridge.SlaveId}: the suite reads and writes with this unit id (the bridge wrote its set point without naming one, pymodbus's default)");
        report.Note("the bridge's files give no units: the process values are stored as the raw register values, without a unit");

        var storageInterval = TimeSpan.FromSeconds(bridge.StorageInterval);
        var nodeNames = PycomintWideRowMapping.NodeNames(bridge);
        var nodes = new List<ImportedNode>();
        for (var i = 0; i < bridge.StoredNodes.Count; i++) nodes.Add(new ImportedNode(bridge.StoredNodes[i] ?? "", MethanationSensor, nodeNames[i]));
        var document = new ImportedConfiguration(
            new ScraperSection(
                new OpcUaSection([new OpcUaEndpoint(bridge.OpcUaUrl ?? "", link.Source.UserName, "Poll", storageInterval, reconnection, nodes)]),
                new ModbusSection([new ModbusDevice(PemelDevice, bridge.ModbusHost ?? "", bridge.ModbusPort, (byte)bridge.SlaveId, storageInterval, requestTimeout, retries, map)]),
                PycomintWideRowMapping.Map(bridge, nodeNames, flags, values, PemelDevice, storageInterval, report)),
            new BridgeSection([link]));
        return (document, report);
    }

    // The bridge reads the table at each control cycle; here it is checked once, so that a broken one stops the import.
    private static async Task CheckCalibrationAsync(PycomintConfiguration bridge, string path, ImportReport report, CancellationToken cancellationToken)
    {
        var where = $"{PycomintConfiguration.ModbusFile}: H2_FLOW_ARRAY";
        if (Directory.Exists(path)) throw new ImportException($"{where}: {path} is a folder; the calibration table must be a file");
        if (!File.Exists(path)) throw new ImportException($"{where}: {path} is missing (the bridge reads it relative to its working directory, {bridge.Root})");
        if (new FileInfo(path).Length > BridgeYamlFile.MaxFileBytes) throw new ImportException($"{where}: {path} is larger than {BridgeYamlFile.MaxFileBytes / 1024} KiB; it is not a calibration table");
        try
        {
            var table = await CalibrationTable.LoadAsync(path, bridge.MaxCurrent, bridge.MinCurrent, cancellationToken);
            report.Note($"calibration table {path}: {table.Points.Count} rows, {table.MinFlow}..{table.MaxFlow} NL/min");
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            throw new ImportException($"{where}: {ex.Message}");
        }
    }

    // Tag names from the file's names; a missing or repeated name gets one that cannot collide, with a note.
    private static string[] Names(string[] fromFile, string key, Func<int, string> fallback, ImportReport report)
    {
        var names = new string[fromFile.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var name = PycomintConfiguration.TagName(fromFile[i]);
            if (name.Length == 0)
            {
                name = fallback(i);
                report.Note($"{PycomintConfiguration.ModbusFile}: {key}_{i} names nothing; its value is stored as '{name}'");
            }
            if (!seen.Add(name))
            {
                var unique = $"{name}_{i}";
                report.Note($"{PycomintConfiguration.ModbusFile}: {key}_{i} repeats the name '{name}'; its value is stored as '{unique}'");
                name = unique;
                seen.Add(name);
            }
            names[i] = name;
        }
        return names;
    }

    // The password goes to the environment file when one is asked for; otherwise a note names the variable to set.
    private static async Task WriteSecretsAsync(ImportedConfiguration document, FileInfo? envFile, ImportReport report, CancellationToken cancellationToken)
    {
        const string EndpointVariable = "Scraper__OpcUa__Endpoints__0__Password";
        const string LinkVariable = "Bridge__Links__0__Source__Password";
        var source = document.Bridge.Links[0].Source;
        if (source.UserName is null) return;
        if (envFile is null || string.IsNullOrEmpty(source.Password))
        {
            report.Note($"the methanation PLC is read as user '{source.UserName}': set {EndpointVariable} and {LinkVariable} in the environment{(string.IsNullOrEmpty(source.Password) ? "" : " (or use --env-file)")}; the password is not written into the JSON");
            return;
        }
        if (source.Password.AsSpan().ContainsAny('\n', '\r')) throw new ImportException($"{PycomintConfiguration.OpcUaFile}: the password contains a line break, which an environment file cannot hold");
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using (var stream = new FileStream(envFile.FullName, fileOptions))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteLineAsync($"{EndpointVariable}={source.Password}".AsMemory(), cancellationToken);
            await writer.WriteLineAsync($"{LinkVariable}={source.Password}".AsMemory(), cancellationToken);
        }
        report.Note($"the methanation PLC is read as user '{source.UserName}'; its password is in {envFile.FullName}");
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
    TimeSpan ReconnectMaxDelay,
    IReadOnlyList<ImportedNode> Nodes);

/// <summary>A listed node and the names its values are stored under.</summary>
internal sealed record ImportedNode(string NodeId, string SensorName, string TagName);
