using System.Runtime.Versioning;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>
/// scripts/lib/common.sh's ensure_apt run by bash against a fake dpkg-query, apt-get and sudo on PATH: what it
/// decides to install follows from the package status dpkg reports.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ScriptLibraryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("thermalplant-common-sh-").FullName;

    [Theory]
    [InlineData("install ok installed")]
    [InlineData("hold ok installed")]
    public async Task Ensure_apt_installs_nothing_when_the_package_is_installed_held_or_not(string status)
    {
        var (exit, output, installed) = await EnsureAptAsync(new() { ["postgresql"] = status }, "postgresql");

        Assert.True(exit == 0, output);
        Assert.Empty(installed);
    }

    [Fact]
    public async Task Ensure_apt_installs_only_the_packages_that_are_missing_or_not_fully_installed()
    {
        var statuses = new Dictionary<string, string>
        {
            ["nginx"] = "hold ok installed",
            ["postgresql"] = "deinstall ok config-files",
            ["prometheus"] = "install ok half-installed",
        };

        var (exit, output, installed) = await EnsureAptAsync(statuses, "nginx", "postgresql", "prometheus", "python3-pymodbus");

        Assert.True(exit == 0, output);
        Assert.Equal(["update -qq", "install -y -qq --no-install-recommends postgresql prometheus python3-pymodbus"], installed);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Sources common.sh and runs ensure_apt; returns its exit code, output and the apt-get calls it made.</summary>
    private async Task<(int ExitCode, string Output, string[] AptCalls)> EnsureAptAsync(Dictionary<string, string> statuses, params string[] packages)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        var aptLog = Path.Combine(_dir, "apt-get.calls");
        // dpkg-query -W -f='${Status}' PKG: the status for a known package, "not found" (exit 1) for any other.
        var cases = string.Concat(statuses.Select(s => $"  {s.Key}) printf '%s' '{s.Value}' ;;\n"));
        WriteScript(bin, "dpkg-query", $"#!/bin/bash\npkg=\"${{!#}}\"\ncase \"$pkg\" in\n{cases}  *) echo \"dpkg-query: no packages found matching $pkg\" >&2; exit 1 ;;\nesac\n");
        WriteScript(bin, "apt-get", $"#!/bin/bash\necho \"$*\" >> '{aptLog}'\n");
        WriteScript(bin, "sudo", "#!/bin/bash\n[ \"$1\" = -n ] && shift\nexec \"$@\"\n");

        var environment = new Dictionary<string, string> { ["PATH"] = $"{bin}:/usr/bin:/bin" };
        var (exit, output) = await ManagedProcess.RunAsync("/bin/bash",
            ["-c", "source \"$0\" && ensure_apt \"$@\"", RepositoryPaths.Combine("scripts", "lib", "common.sh"), .. packages],
            TimeSpan.FromSeconds(30), _dir, environment);
        var calls = File.Exists(aptLog) ? await File.ReadAllLinesAsync(aptLog) : [];
        return (exit, output, calls);
    }

    private static void WriteScript(string directory, string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
