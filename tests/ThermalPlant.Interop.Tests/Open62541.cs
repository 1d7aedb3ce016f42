using System.Globalization;
using ThermalPlant.Testing;

namespace ThermalPlant.Interop.Tests;

/// <summary>
/// open62541 1.4.19 (C), the second independent OPC UA peer: its server and client programs (bench/open62541), built
/// once through scripts/lib/common.sh's ensure_open62541 from the vendored tarball into a cache outside the repository
/// (scripts/test builds it first; a test run then finds it built). A build that fails, or a tarball that is missing,
/// fails the test with the build's own words.
/// </summary>
internal static class Open62541
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _directory;

    /// <summary>The directory of tp-open62541-server and tp-open62541-client.</summary>
    public static async Task<string> DirectoryAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_directory is not null) return _directory;
            var script = RepositoryPaths.Combine("scripts", "lib", "common.sh");
            // A first build compiles for a few minutes on two cores; a cached one answers at once.
            var (exit, output) = await ManagedProcess.RunAsync("bash", ["-c", $"source '{script}' && ensure_open62541 >&2 && echo \"bin=$OPEN62541_BIN\""], TimeSpan.FromMinutes(20));
            var line = output.Split('\n').LastOrDefault(l => l.StartsWith("bin=", StringComparison.Ordinal));
            if (exit != 0 || line is null)
            {
                Assert.Fail($"open62541 could not be built (ensure_open62541 in scripts/lib/common.sh needs ../shared/vendor/open62541-v1.4.19.tar.gz, cmake, gcc and libssl-dev); a missing peer fails rather than skips:\n{output}");
            }
            _directory = line![4..].Trim();
            return _directory;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs the client (<paramref name="arguments"/> after the program) to its end; fails the test when it fails.</summary>
    public static async Task<string[]> ClientAsync(params string[] arguments)
    {
        var program = Path.Combine(await DirectoryAsync(), "tp-open62541-client");
        var (exit, output) = await ManagedProcess.RunAsync(program, arguments, TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"tp-open62541-client {string.Join(' ', arguments)} exited with {exit}:\n{output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Starts the server on a free loopback port serving <paramref name="variables"/> of the bench tree; waits until it listens.</summary>
    public static async Task<(ManagedProcess Server, string Url)> StartServerAsync(int variables, int updateMs, string? certificateOut = null)
    {
        var program = Path.Combine(await DirectoryAsync(), "tp-open62541-server");
        var port = PeerPrograms.FreePort();
        string[] arguments = [port.ToString(CultureInfo.InvariantCulture), variables.ToString(CultureInfo.InvariantCulture), updateMs.ToString(CultureInfo.InvariantCulture)];
        if (certificateOut is not null) arguments = [.. arguments, "--secure", certificateOut];
        var server = ManagedProcess.Start(program, arguments);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!server.Output.Contains("ready", StringComparison.Ordinal))
        {
            if (server.HasExited || DateTime.UtcNow > deadline)
            {
                var output = server.Output;
                await server.DisposeAsync();
                Assert.Fail($"open62541's server did not start:\n{output}");
            }
            await Task.Delay(100);
        }
        return (server, $"opc.tcp://127.0.0.1:{port}");
    }
}
