using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ThermalPlant.Bridge;
using ThermalPlant.Cli.Import;
using ThermalPlant.Scraper;
using ThermalPlant.Scraper.Sources.OpcUa;

namespace ThermalPlant.Cli.Tests;

/// <summary>
/// <c>thermalplant import-pycomint DIR</c> on a fixture in the published bridge's shape: its repository root with
/// <c>config/config_*.yaml</c> (upper-case keys, placeholders, tabs, a glued comment, a stray quote) and the calibration
/// table beside <c>config/</c>.
/// </summary>
public sealed class PycomintImportTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "pycomint-bridge");

    private static readonly string[] Flags =
    [
        "error", "mode_off", "mode_manual", "mode_automatic", "safety_chain_closed", "main_fan", "fan", "outer_cooling_fan",
        "outer_cooling_pump", "hydrogen_cooling", "hydrogen_cooling_temperature_reached", "valve", "pump_1", "pump_2", "pump_3", "empty",
    ];

    private static readonly string[] Values =
    [
        "el_power_act", "el_current_act", "el_h2_pressure_act", "el_conductance_act", "el_temp_in_act", "el_propventil",
        "el_calch2flow_act", "el_calch2volume_sum", "el_1_temp_out_act", "el_2_temp_out_act", "el_3_temp_out_act",
        "el_4_temp_out_act", "el_5_temp_out_act", "el_h2_cooling_temp_act",
    ];

    [Fact]
    public async Task The_published_files_import_from_the_repository_root_with_every_placeholder_listed_and_their_own_exit_code()
    {
        var (exit, output, error) = await Run("import-pycomint", Fixture);
        Assert.Equal(PycomintImportCommand.PlaceholdersLeft, exit);
        Assert.Equal(2, exit);

        // Each placeholder the configuration needs, with its file, line and the settings to fill in.
        Assert.Contains("fill in: config_modbus.yaml, line 6: IP_ADDRESS is the placeholder '...'; set Scraper:Modbus:Devices:0:Host and Bridge:Links:0:Target:Host", error, StringComparison.Ordinal);
        Assert.Contains("fill in: config_opcua.yaml, line 6: URL is the placeholder '...'; set Scraper:OpcUa:Endpoints:0:Url and Bridge:Links:0:Source:EndpointUrl", error, StringComparison.Ordinal);
        Assert.Contains("fill in: config_opcua.yaml, line 8: PASSWORD is the placeholder '...'; set Scraper:OpcUa:Endpoints:0:Password", error, StringComparison.Ordinal);
        Assert.Contains("fill in: config_sql.yaml, line 11: DB_TABLE is the placeholder '...'; set Scraper:WideRow:Table", error, StringComparison.Ordinal);
        // The bridge's own database is not the suite's: its placeholders are listed as not used.
        Assert.Contains("placeholder: config_sql.yaml, line 6: DB_HOST is '...' (not used by the suite)", error, StringComparison.Ordinal);
        Assert.Contains("placeholder: config_sql.yaml, line 8: DB_NAME is '...' (not used by the suite)", error, StringComparison.Ordinal);
        Assert.Contains("placeholder: config_sql.yaml, line 10: DB_PASSWORD is '...' (not used by the suite)", error, StringComparison.Ordinal);
        Assert.Equal(7, error.Split('\n').Count(l => l.StartsWith("fill in: ", StringComparison.Ordinal) || l.StartsWith("placeholder: ", StringComparison.Ordinal)));

        // What was read leniently is said.
        Assert.Contains("config_gen.yaml, line 7: DATA_STORAGE_INTERVAL: a comment is glued to the value ('10# storage task, [s]'); read as '10'", error, StringComparison.Ordinal);
        Assert.Contains("config_sql.yaml, line 9: DB_USER: the value 'python_opcua_user'' ends in a stray quote; read as 'python_opcua_user'", error, StringComparison.Ordinal);
        Assert.Contains("config_modbus.yaml: tab characters read as spaces on line 54", error, StringComparison.Ordinal);
        Assert.Contains("config_sql.yaml: tab characters read as spaces on line 13", error, StringComparison.Ordinal);
        Assert.Contains("DB_COLUMNS 'el_temp_In_act' is the column 'el_temp_in_act'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", error, StringComparison.Ordinal);

        // The JSON is written all the same, the placeholders' settings left empty so that the scraper refuses to start
        // until they are filled in.
        using var doc = JsonDocument.Parse(output);
        var scraper = doc.RootElement.GetProperty("Scraper");
        Assert.Equal("", scraper.GetProperty("Modbus").GetProperty("Devices")[0].GetProperty("Host").GetString());
        Assert.Equal("", scraper.GetProperty("OpcUa").GetProperty("Endpoints")[0].GetProperty("Url").GetString());
        Assert.Equal("", scraper.GetProperty("WideRow").GetProperty("Table").GetString());
        Assert.Equal("OPCUA_user_1", scraper.GetProperty("OpcUa").GetProperty("Endpoints")[0].GetProperty("UserName").GetString());
        Assert.Contains("set Scraper__OpcUa__Endpoints__0__Password and Bridge__Links__0__Source__Password in the environment", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_config_folder_imports_as_the_repository_root_does()
    {
        var fromRoot = await Run("import-pycomint", Fixture);
        var fromConfig = await Run("import-pycomint", Path.Combine(Fixture, "config"));
        Assert.Equal(PycomintImportCommand.PlaceholdersLeft, fromConfig.Exit);
        Assert.Equal(fromRoot.Output, fromConfig.Output);
        Assert.Contains(Path.Combine(Fixture, "PEMEL_Current_H2Flowrate.txt"), fromConfig.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filled_in_files_become_the_scraper_configuration_its_own_options_bind_and_validate_with_every_key_mapped()
    {
        using var root = new TempBridge();
        await root.FillInAsync();
        var (exit, output, error) = await Run("import-pycomint", root.Path);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("fill in:", error, StringComparison.Ordinal);

        // The JSON binds into the scraper's and the bridge's own options as their hosts bind them, with the connection string and the
        // OPC UA password from the environment (the import never writes them), and they are valid as a whole.
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(output));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        Assert.Null(configuration["Bridge:Links:0:Source:Password"]);
        Assert.Null(configuration["Scraper:OpcUa:Endpoints:0:Password"]);
        Assert.DoesNotContain("fixture-password", output, StringComparison.Ordinal);
        Assert.DoesNotContain("fixture-password", error, StringComparison.Ordinal);
        configuration["Scraper:Database:ConnectionString"] = "Host=127.0.0.1;Database=thermalplant;Username=thermalplant";
        configuration["Bridge:Links:0:Source:Password"] = "from-the-environment";
        configuration["Scraper:OpcUa:Endpoints:0:Password"] = "from-the-environment";
        var options = configuration.GetSection(ScraperOptions.Section).Get<ScraperOptions>()!;
        var errors = new List<string>();
        options.Validate(ScraperOptions.Section, errors);
        var bridge = configuration.GetSection(BridgeOptions.Section).Get<BridgeOptions>()!;
        bridge.Validate(BridgeOptions.Section, errors);
        Assert.Empty(errors);
        Assert.Equal(["Bridge", "Scraper"], configuration.GetChildren().Select(c => c.Key).Order(StringComparer.Ordinal));

        // config_gen.yaml: PEMEL_CONTROL_INTERVAL, DATA_STORAGE_INTERVAL (its glued comment dropped), RECONNECTION_INTERVAL.
        var link = Assert.Single(bridge.Links);
        var device = Assert.Single(options.Modbus.Devices);
        var endpoint = Assert.Single(options.OpcUa.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(1), link.Period);
        Assert.Equal(TimeSpan.FromSeconds(10), device.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), endpoint.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.WideRow.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), endpoint.ReconnectMaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), link.Source.MaxReconnectDelay);

        // config_modbus.yaml: the device and the link's target, with the map the file describes.
        Assert.Equal(("192.0.2.20", 502, (byte)0), (device.Host, device.Port, device.UnitId));
        Assert.Equal(("192.0.2.20", 502, (byte)0), (link.Target.Host, link.Target.Port, link.Target.UnitId));
        Assert.Equal(4, device.Retries);
        var map = device.EffectiveMap();
        Assert.Equal(0, map.BaseAddress);
        Assert.Equal(15, map.Registers.Count);
        Assert.Equal(("status", 0x8061), (map.Registers[0].Name, map.Registers[0].Address));
        Assert.Equal(Flags, map.Registers[0].Flags);
        Assert.Equal(Values, map.Registers.Skip(1).Select(r => r.Name));
        Assert.Equal(Enumerable.Range(0x8065, 14), map.Registers.Skip(1).Select(r => r.Address));
        Assert.Equal(0x8006, link.Target.AbsoluteSetPointAddress);
        Assert.Equal((0x8061, 10, "hydrogen_cooling_temperature_reached"), (link.Enable.Address, link.Enable.Bit, link.Enable.Name));
        Assert.Equal((52, 8, 52.0), (link.MaxCurrent, link.MinCurrent, link.Maximum));
        Assert.Equal(Path.Combine(root.Path, "PEMEL_Current_H2Flowrate.txt"), link.CalibrationFile);

        // config_opcua.yaml: the endpoint collects exactly OPCUA_NODE_IDs, named as the bridge's table names them; the
        // link reads H2_FLOW_ID, both as USERNAME.
        Assert.Equal("opc.tcp://192.0.2.10:4840/", endpoint.Url);
        Assert.Equal("opc.tcp://192.0.2.10:4840/", link.Source.EndpointUrl);
        Assert.Equal(CollectionMode.Poll, endpoint.Mode);
        Assert.Equal(
            [
                ("ns=7;s=::AsGlobalPV:real_temperature", "methanation", "real_temperature"),
                ("ns=7;s=::AsGlobalPV:real_pressure", "methanation", "real_pressure"),
                ("ns=7;s=::AsGlobalPV:real_methane_production", "methanation", "real_methane_production"),
            ],
            endpoint.Nodes.Select(n => (n.NodeId, n.SensorName, n.TagName)));
        Assert.Equal("ns=7;s=::AsGlobalPV:real_h2_flowrate", link.Source.NodeId);
        Assert.Equal(("OPCUA_user_1", "OPCUA_user_1"), (endpoint.UserName, link.Source.UserName));

        // config_sql.yaml: the table, its 34 columns by position (timestamp, 3 OPC UA values, 16 flags, 14 values).
        Assert.Equal("ptg_data", options.WideRow.Table);
        Assert.Equal("timestamp", options.WideRow.TimestampColumn);
        var columns = options.WideRow.Columns;
        Assert.Equal(33, columns.Count);
        Assert.Equal(("real_pressure", "ns=7;s=::AsGlobalPV:real_pressure"), (columns[1].Name, columns[1].NodeId));
        Assert.Equal(("h2_cooling_temperature_reached", "pemel", "status.hydrogen_cooling_temperature_reached"), (columns[13].Name, columns[13].Sensor, columns[13].Tag));
        Assert.Equal(("empty", "status.empty"), (columns[18].Name, columns[18].Tag));
        Assert.Equal(("el_temp_in_act", "pemel", "el_temp_in_act"), (columns[23].Name, columns[23].Sensor, columns[23].Tag));
        Assert.Equal(("el_h2_cooling_temp_act", "el_h2_cooling_temp_act"), (columns[32].Name, columns[32].Tag));
    }

    [Fact]
    public async Task Flag_and_value_names_and_their_count_are_taken_from_the_files()
    {
        using var root = new TempBridge();
        await root.FillInAsync();
        await root.EditAsync("config_modbus.yaml", text => text
            .Replace("BIT_10 : Hydrogen cooling temperature reached", "BIT_10 : Cooling ready", StringComparison.Ordinal)
            .Replace("  BIT_15 : Empty\n", "", StringComparison.Ordinal)
            .Replace("COUNT: 14", "COUNT: 2", StringComparison.Ordinal)
            .Replace("REG_0 : EL_Power_Act", "REG_0 : Stack Power", StringComparison.Ordinal)
            .Replace(string.Concat(Enumerable.Range(2, 12).Select(i => $"  REG_{i} : {Values[i].ToUpperInvariant()}\n")), "", StringComparison.OrdinalIgnoreCase));
        var (exit, output, error) = await Run("import-pycomint", root.Path);
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        var registers = doc.RootElement.GetProperty("Scraper").GetProperty("Modbus").GetProperty("Devices")[0].GetProperty("Map").GetProperty("Registers");
        Assert.Equal(["status", "stack_power", "el_current_act"], registers.EnumerateArray().Select(r => r.GetProperty("Name").GetString()));
        var flags = registers[0].GetProperty("Flags").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Equal("cooling_ready", flags[10]);
        Assert.Equal("bit_15", flags[15]);
        Assert.Contains("BIT_15 names nothing; its value is stored as 'bit_15'", error, StringComparison.Ordinal);
        Assert.Equal("cooling_ready", doc.RootElement.GetProperty("Bridge").GetProperty("Links")[0].GetProperty("Enable").GetProperty("Name").GetString());
        // 34 columns against 1 + 3 + 16 + 2 values: matched by position as far as both go, and said.
        Assert.Contains("DB_COLUMNS names 34 columns, but the bridge inserts 22 values", error, StringComparison.Ordinal);
        var columns = doc.RootElement.GetProperty("Scraper").GetProperty("WideRow").GetProperty("Columns");
        Assert.Equal(21, columns.GetArrayLength());
        Assert.Equal("status.cooling_ready", columns[13].GetProperty("Tag").GetString());
        Assert.Equal(("el_power_act", "stack_power"), (columns[19].GetProperty("Name").GetString(), columns[19].GetProperty("Tag").GetString()));
    }

    [Fact]
    public async Task The_opc_ua_password_goes_to_an_environment_file_that_only_its_owner_reads()
    {
        using var root = new TempBridge();
        await root.FillInAsync();
        var envFile = Path.Combine(root.Path, "pycomint.env");
        var (exit, output, error) = await Run("import-pycomint", root.Path, "--env-file", envFile);
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("fixture-password", output, StringComparison.Ordinal);
        Assert.Equal(["Scraper__OpcUa__Endpoints__0__Password=fixture-password", "Bridge__Links__0__Source__Password=fixture-password"], await File.ReadAllLinesAsync(envFile));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "sql file is a folder", "config_sql.yaml is a folder; the bridge's config_sql.yaml must be a file" },
        { "table is a folder", "H2_FLOW_ARRAY: " },
        { "table is missing", "is missing (the bridge reads it relative to its working directory" },
        { "table is broken", "not monotonic" },
        { "opcua file is missing", "config_opcua.yaml is missing" },
        { "tab indentation", "(line 14 is indented with a tab; YAML indents with spaces only)" },
        { "unclosed quote", "(the quote opened on line 9 is not closed on that line)" },
        { "map is a value", "config_modbus.yaml, line 12: PEMEL_STATUS must be a map of KEY : value lines, found '0x8061'" },
        { "number is a placeholder", "config_modbus.yaml, line 7: PORT is still the placeholder '...': fill in the number" },
        { "count is text", "config_modbus.yaml, line 34: PROCESS_VALUES.COUNT: 'fourteen' is not a whole number" },
        { "count too large", "PROCESS_VALUES.COUNT: 200 lies outside 1..125" },
        { "key given twice", "config_gen.yaml" },
        { "empty file", "config_gen.yaml is empty" },
        { "list instead of map", "config_gen.yaml, line 1: expected the bridge's KEY : value lines, found a list" },
        { "deep nesting", "nested deeper than 16" },
        { "lower-case keys", "config_gen.yaml: PEMEL_CONTROL_INTERVAL is missing (keys are upper case" },
        { "bit beyond 15", "PEMEL_STATUS.BIT_16: a 16-bit status word has BIT_0 .. BIT_15 only" },
        { "two flow nodes", "H2_FLOW_ID lists 2 nodes" },
        { "huge file", "is larger than 64 KiB" },
        { "neither root nor config", "holds neither config/ nor config_gen.yaml" },
        { "not a folder", "is a file; give the bridge's repository root" },
        { "no such folder", "does not exist" },
        { "output is a folder", "error: " },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Every_bad_input_is_a_clear_error_with_exit_code_1_and_no_stack_trace(string problem, string message)
    {
        using var root = new TempBridge();
        await root.FillInAsync();
        var config = Path.Combine(root.Path, "config");
        var target = root.Path;
        var extra = new List<string>();
        switch (problem)
        {
            case "sql file is a folder":
                File.Delete(Path.Combine(config, "config_sql.yaml"));
                Directory.CreateDirectory(Path.Combine(config, "config_sql.yaml"));
                break;
            case "table is a folder":
                Directory.CreateDirectory(Path.Combine(root.Path, "tables"));
                await root.EditAsync("config_modbus.yaml", t => t.Replace("H2_FLOW_ARRAY : PEMEL_Current_H2Flowrate.txt", "H2_FLOW_ARRAY : tables", StringComparison.Ordinal));
                break;
            case "table is missing":
                File.Delete(Path.Combine(root.Path, "PEMEL_Current_H2Flowrate.txt"));
                break;
            case "table is broken":
                await File.WriteAllTextAsync(Path.Combine(root.Path, "PEMEL_Current_H2Flowrate.txt"), "Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n48;19.0\n0;0.0\n");
                break;
            case "opcua file is missing":
                File.Delete(Path.Combine(config, "config_opcua.yaml"));
                break;
            case "tab indentation":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("  BIT_0 : Error", "\tBIT_0 : Error", StringComparison.Ordinal));
                break;
            case "unclosed quote":
                await root.EditAsync("config_sql.yaml", t => t.Replace("DB_USER : python_opcua_user'", "DB_USER : 'python_opcua_user", StringComparison.Ordinal));
                break;
            case "map is a value":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("PEMEL_STATUS :\n  ADDRESS: 0x8061\n", "PEMEL_STATUS : 0x8061\nSTATUS_BITS :\n", StringComparison.Ordinal));
                break;
            case "number is a placeholder":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("PORT : 502 ", "PORT : ... ", StringComparison.Ordinal));
                break;
            case "count is text":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("COUNT: 14", "COUNT: fourteen", StringComparison.Ordinal));
                break;
            case "count too large":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("COUNT: 14", "COUNT: 200", StringComparison.Ordinal));
                break;
            case "key given twice":
                await root.EditAsync("config_gen.yaml", t => t + "PEMEL_CONTROL_INTERVAL : 2\n");
                break;
            case "empty file":
                await File.WriteAllTextAsync(Path.Combine(config, "config_gen.yaml"), "# nothing here\n");
                break;
            case "list instead of map":
                await File.WriteAllTextAsync(Path.Combine(config, "config_gen.yaml"), "- 1\n- 2\n");
                break;
            case "deep nesting":
                await File.WriteAllTextAsync(Path.Combine(config, "config_gen.yaml"), "PEMEL_CONTROL_INTERVAL : " + new string('[', 60_000) + "\n");
                break;
            case "lower-case keys":
                await root.EditAsync("config_gen.yaml", t => t.Replace("PEMEL_CONTROL_INTERVAL", "pemel_control_interval", StringComparison.Ordinal));
                break;
            case "bit beyond 15":
                await root.EditAsync("config_modbus.yaml", t => t.Replace("  BIT_15 : Empty\n", "  BIT_15 : Empty\n  BIT_16 : Spare\n", StringComparison.Ordinal));
                break;
            case "two flow nodes":
                await root.EditAsync("config_opcua.yaml", t => t.Replace("H2_FLOW_ID : [\"ns=7;s=::AsGlobalPV:real_h2_flowrate\"]", "H2_FLOW_ID : [\"ns=7;s=a\", \"ns=7;s=b\"]", StringComparison.Ordinal));
                break;
            case "huge file":
                await root.EditAsync("config_opcua.yaml", t => t + new string('#', 70_000) + "\n");
                break;
            case "neither root nor config":
                target = Directory.CreateDirectory(Path.Combine(root.Path, "empty")).FullName;
                break;
            case "not a folder":
                target = Path.Combine(root.Path, "PEMEL_Current_H2Flowrate.txt");
                break;
            case "no such folder":
                target = Path.Combine(root.Path, "nowhere");
                break;
            case "output is a folder":
                extra.AddRange(["--output", config]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(problem), problem, "no such case");
        }

        var (exit, output, error) = await Run(["import-pycomint", target, .. extra]);
        Assert.True(exit == 1, $"{problem}: exit {exit}, {error}");
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error.Split('\n').First(l => l.StartsWith("error: ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { PycomintImportCommand.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A copy of the fixture in a temporary folder, removed at the end.</summary>
    private sealed class TempBridge : IDisposable
    {
        public TempBridge()
        {
            Path = Directory.CreateTempSubdirectory("thermalplant-import-").FullName;
            foreach (var file in Directory.GetFiles(Fixture, "*", SearchOption.AllDirectories))
            {
                var target = System.IO.Path.Combine(Path, System.IO.Path.GetRelativePath(Fixture, file));
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        public string Path { get; }

        /// <summary>Replaces the placeholders the configuration needs, as a user does before switching.</summary>
        public async Task FillInAsync()
        {
            await EditAsync("config_modbus.yaml", t => t.Replace("IP_ADDRESS : ...", "IP_ADDRESS : 192.0.2.20", StringComparison.Ordinal));
            await EditAsync("config_opcua.yaml", t => t
                .Replace("URL : ...", "URL : opc.tcp://192.0.2.10:4840/", StringComparison.Ordinal)
                .Replace("PASSWORD : ...", "PASSWORD : fixture-password", StringComparison.Ordinal));
            await EditAsync("config_sql.yaml", t => t.Replace("DB_TABLE : ...#", "DB_TABLE : ptg_data #", StringComparison.Ordinal));
        }

        public async Task EditAsync(string file, Func<string, string> edit)
        {
            var path = System.IO.Path.Combine(Path, "config", file);
            var text = await File.ReadAllTextAsync(path);
            var edited = edit(text);
            Assert.NotEqual(text, edited);
            await File.WriteAllTextAsync(path, edited);
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
