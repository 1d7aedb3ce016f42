using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ThermalPlant.Bridge;
using ThermalPlant.Cli.Import;
using ThermalPlant.Scraper;
using ThermalPlant.Scraper.Sources.OpcUa;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant import-pycomint DIR</c> on the invented example of the seed bridge's YAML files.</summary>
public sealed class PycomintImportTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "pycomint");

    [Fact]
    public async Task The_four_files_become_the_scraper_and_bridge_configuration_their_own_options_bind_and_validate()
    {
        var (exit, output, error) = await Run("import-pycomint", Fixture);
        Assert.Equal(0, exit);

        // The JSON binds into the scraper's and the bridge's own options as their hosts bind them, with the connection string and the
        // OPC UA password from the environment (the import never writes them), and they are valid as a whole.
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(output));
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(stream)
            .Build();
        Assert.Null(configuration["Bridge:Links:0:Source:Password"]);
        Assert.Null(configuration["Scraper:OpcUa:Endpoints:0:Password"]);
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

        var link = Assert.Single(bridge.Links);
        Assert.Equal(TimeSpan.FromSeconds(1), link.Period);
        Assert.Equal("opc.tcp://192.168.10.10:4840/", link.Source.EndpointUrl);
        Assert.Equal("ns=2;s=Methanation.H2FlowRequest", link.Source.NodeId);
        Assert.Equal("192.168.10.20", link.Target.Host);
        Assert.Equal(0, link.Target.UnitId);
        Assert.Equal(0x8006, link.Target.SetPointAddress);
        Assert.Equal(0x8061, link.Enable.Address);
        Assert.Equal(10, link.Enable.Bit);
        Assert.Equal(52, link.Maximum);
        Assert.True(File.Exists(link.CalibrationFile));

        // The bridge's wide table, bound and validated with the rest.
        Assert.Equal("pemel_log", options.WideRow.Table);
        Assert.Contains(options.WideRow.Columns, c => c.Name == "h2_flow_request");

        var device = Assert.Single(options.Modbus.Devices);
        Assert.Equal("pemel", device.Name);
        Assert.Equal(TimeSpan.FromSeconds(10), device.PollInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), device.RequestTimeout);
        Assert.Equal(15, device.EffectiveMap().Registers.Count);

        // The methanation PLC: exactly the bridge's nodes, read at its storage interval, named by its storage keys.
        var endpoint = Assert.Single(options.OpcUa.Endpoints);
        Assert.Equal("opc.tcp://192.168.10.10:4840/", endpoint.Url);
        Assert.Equal(CollectionMode.Poll, endpoint.Mode);
        Assert.Equal(TimeSpan.FromSeconds(10), endpoint.PollInterval);
        Assert.Equal(
            [
                ("ns=2;s=Methanation.H2FlowRequest", "methanation", "h2_flow_request"),
                ("ns=2;s=Methanation.ReactorTemperature", "methanation", "reactor_temperature"),
                ("ns=2;s=Methanation.CH4Flow", "methanation", "ch4_flow"),
                ("ns=2;s=Methanation.CO2Flow", "methanation", "co2_flow"),
            ],
            endpoint.Nodes.Select(n => (n.NodeId, n.SensorName, n.TagName)));

        // The PLC's user: its name in the JSON for both the endpoint and the link, its password nowhere in the output.
        Assert.Equal("bridge", link.Source.UserName);
        Assert.Equal("bridge", endpoint.UserName);
        Assert.DoesNotContain("not-a-real-password", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-password", error, StringComparison.Ordinal);
        Assert.Contains("Bridge__Links__0__Source__Password", error, StringComparison.Ordinal);
        Assert.Contains("unit 0 and wrote with unit 1", error, StringComparison.Ordinal);
        Assert.Contains("pemel_log", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_opc_ua_password_goes_to_an_environment_file_that_only_its_owner_reads()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-import-").FullName;
        try
        {
            var envFile = Path.Combine(directory, "pycomint.env");
            var (exit, output, _) = await Run("import-pycomint", Fixture, "--env-file", envFile);
            Assert.Equal(0, exit);
            Assert.DoesNotContain("not-a-real-password", output, StringComparison.Ordinal);
            Assert.Equal(["Scraper__OpcUa__Endpoints__0__Password=not-a-real-password", "Bridge__Links__0__Source__Password=not-a-real-password"], await File.ReadAllLinesAsync(envFile));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task The_wide_row_table_of_sql_yaml_becomes_the_wide_row_sink_with_each_column_sourced()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-import-").FullName;
        try
        {
            CopyFixture(directory);
            // One column the bridge filled from somewhere the import cannot know.
            var sql = Path.Combine(directory, "sql.yaml");
            await File.WriteAllTextAsync(sql, (await File.ReadAllTextAsync(sql)).Replace("h2_flow]", "h2_flow, operator_note]", StringComparison.Ordinal));
            var (exit, output, error) = await Run("import-pycomint", directory);
            Assert.Equal(0, exit);

            using var doc = JsonDocument.Parse(output);
            var wide = doc.RootElement.GetProperty("Scraper").GetProperty("WideRow");
            Assert.Equal("pemel_log", wide.GetProperty("Table").GetString());
            Assert.Equal("timestamp", wide.GetProperty("TimestampColumn").GetString());
            Assert.Equal("00:00:10", wide.GetProperty("Interval").GetString());
            Assert.False(wide.GetProperty("CreateTable").GetBoolean());
            var columns = wide.GetProperty("Columns").EnumerateArray().ToDictionary(c => c.GetProperty("Name").GetString()!, c => c);
            Assert.Equal(["h2_flow_request", "reactor_temperature", "ch4_flow", "co2_flow", "status", "power", "current", "h2_flow"], columns.Keys);
            Assert.Equal("ns=2;s=Methanation.H2FlowRequest", columns["h2_flow_request"].GetProperty("NodeId").GetString());
            Assert.Equal("ns=2;s=Methanation.CH4Flow", columns["ch4_flow"].GetProperty("NodeId").GetString());
            Assert.Equal("pemel", columns["power"].GetProperty("Sensor").GetString());
            Assert.Equal("power", columns["power"].GetProperty("Tag").GetString());
            Assert.Equal("status", columns["status"].GetProperty("Tag").GetString());
            Assert.False(columns["power"].TryGetProperty("NodeId", out _));
            // The device those tags name is the one the import writes.
            Assert.Equal("pemel", doc.RootElement.GetProperty("Scraper").GetProperty("Modbus").GetProperty("Devices")[0].GetProperty("Name").GetString());
            Assert.Contains("'operator_note' matches no OPC UA node", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_file_or_a_broken_table_is_a_clear_error()
    {
        var directory = Directory.CreateTempSubdirectory("thermalplant-import-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(Fixture, "*.yaml")) File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
            File.Delete(Path.Combine(directory, "sql.yaml"));
            var missing = await Run("import-pycomint", directory);
            Assert.Equal(1, missing.Exit);
            Assert.Contains("sql.yaml is missing", missing.Error, StringComparison.Ordinal);

            File.Copy(Path.Combine(Fixture, "sql.yaml"), Path.Combine(directory, "sql.yaml"));
            Directory.CreateDirectory(Path.Combine(directory, "tables"));
            await File.WriteAllTextAsync(Path.Combine(directory, "tables", "pemel_calibration.csv"), "Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n48;19.0\n0;0.0\n");
            var broken = await Run("import-pycomint", directory);
            Assert.Equal(1, broken.Exit);
            Assert.Contains("not monotonic", broken.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void CopyFixture(string directory)
    {
        foreach (var file in Directory.GetFiles(Fixture, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(directory, Path.GetRelativePath(Fixture, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { PycomintImportCommand.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
