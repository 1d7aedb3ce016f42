using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using ThermalPlant.Cli.Import;
using ThermalPlant.Control.Links;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>thermalplant import-pycomint DIR</c> on the invented example of the seed bridge's YAML files.</summary>
public sealed class PycomintImportTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "pycomint");

    [Fact]
    public async Task The_four_files_become_a_control_link_a_modbus_device_and_an_opc_ua_source()
    {
        var (exit, output, error) = await Run("import-pycomint", Fixture);
        Assert.Equal(0, exit);

        // The JSON binds back into the options the scraper will use, and with the password from the environment they are valid.
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(output));
        var configuration = new ConfigurationBuilder().AddJsonStream(stream).Build();
        Assert.Null(configuration["Control:Links:0:Source:Password"]);
        configuration["Control:Links:0:Source:Password"] = "from-the-environment";
        var link = configuration.GetSection("Control:Links:0").Get<ControlLinkOptions>()!;
        var errors = new List<string>();
        link.Validate("Control:Links:0", errors);
        Assert.Empty(errors);
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

        using var doc = JsonDocument.Parse(output);
        var device = doc.RootElement.GetProperty("Modbus").GetProperty("Devices")[0];
        Assert.Equal("00:00:10", device.GetProperty("PollInterval").GetString());
        Assert.Equal(15, device.GetProperty("Map").GetProperty("Registers").GetArrayLength());
        Assert.Equal(4, doc.RootElement.GetProperty("OpcUa").GetProperty("Sources")[0].GetProperty("Nodes").GetArrayLength());

        Assert.Equal("bridge", link.Source.UserName);
        Assert.DoesNotContain("not-a-real-password", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-password", error, StringComparison.Ordinal);
        Assert.Contains("Control__Links__0__Source__Password", error, StringComparison.Ordinal);
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
            Assert.Equal(["Control__Links__0__Source__Password=not-a-real-password"], await File.ReadAllLinesAsync(envFile));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(envFile));
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

    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var root = new RootCommand { PycomintImportCommand.Create(output, error) };
        var exit = await root.Parse(args).InvokeAsync();
        return (exit, output.ToString(), error.ToString());
    }
}
