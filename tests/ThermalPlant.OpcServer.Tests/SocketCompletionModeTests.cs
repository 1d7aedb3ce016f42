using System.Globalization;
using ThermalPlant.OpcUa.Transport;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>
/// The service as it ships (its own process, its Program.Main) runs its socket completions inline unless the operator
/// sets DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0, refuses any other value at start, and logs the mode it measured
/// (issue 17). Its own process because the runtime takes the mode once per process, at the first socket.
/// </summary>
public sealed class SocketCompletionModeTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(null, "Socket completions run inline")]
    [InlineData("1", "Socket completions run inline")]
    [InlineData("0", "Socket completions run on the thread pool")]
    public async Task The_service_runs_socket_completions_inline_unless_the_operator_sets_0_and_logs_the_mode_it_measured(string? value, string logged)
    {
        Assert.True(System.Environment.GetEnvironmentVariable(SocketCompletions.Variable) is null, $"{SocketCompletions.Variable} is set in the test's own environment, which the service would inherit; unset it to run this test");
        using var directory = new TempDirectory("thermalplant-inline-");
        var environment = ServiceEnvironment(directory.Path);
        if (value is not null) environment[SocketCompletions.Variable] = value;

        await using var service = ManagedProcess.Start("dotnet", [ServiceDll()], directory.Path, environment);

        var deadline = DateTime.UtcNow + Start;
        while (!service.Output.Contains("Socket completions run", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline && !service.HasExited, $"no socket completion mode logged within {Start.TotalSeconds} s:\n{service.Output}");
            await Task.Delay(100);
        }
        Assert.Contains(logged, service.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("")]
    public async Task A_value_other_than_0_or_1_stops_the_service_at_start_naming_the_variable(string value)
    {
        using var directory = new TempDirectory("thermalplant-inline-");
        var environment = ServiceEnvironment(directory.Path);
        environment[SocketCompletions.Variable] = value;

        var (exitCode, output) = await ManagedProcess.RunAsync("dotnet", [ServiceDll()], Start, directory.Path, environment);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{SocketCompletions.Variable} is '{value}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Socket completions run", output, StringComparison.Ordinal);
    }

    /// <summary>The service on loopback ports of its own, its files in <paramref name="directory"/>, no DMZ (its poll fails and is retried).</summary>
    private static Dictionary<string, string> ServiceEnvironment(string directory) => new()
    {
        ["DOTNET_CONTENTROOT"] = Path.GetDirectoryName(ServiceDll())!,
        ["Urls"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{PeerPrograms.FreePort()}"),
        ["OpcServer__ListenAddress"] = "127.0.0.1",
        ["OpcServer__Port"] = PeerPrograms.FreePort().ToString(CultureInfo.InvariantCulture),
        ["OpcServer__DmzUrl"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{PeerPrograms.FreePort()}/"),
        ["OpcServer__HistoryPath"] = Path.Combine(directory, "history.bin"),
        ["OpcServer__EventHistoryPath"] = Path.Combine(directory, "events.bin"),
        ["OpcServer__CertificateStorePath"] = Path.Combine(directory, "pki"),
    };

    /// <summary>The service's build output, of this test build's configuration (this project references it, so it is built).</summary>
    private static string ServiceDll()
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var path = RepositoryPaths.Combine("src", "ThermalPlant.OpcServer", "bin", framework.Parent!.Name, framework.Name, "ThermalPlant.OpcServer.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build tests/ThermalPlant.OpcServer.Tests, which builds it");
        return path;
    }
}
