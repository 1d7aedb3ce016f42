using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Testing;

/// <summary>Locating the real peer programs tests start, and the rule for when one is missing.</summary>
public static class PeerPrograms
{
    /// <summary>Under CI a missing peer fails the test; on a developer machine the test returns early.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first existing path among <paramref name="candidates"/>, or null.</summary>
    public static string? Find(params string[] candidates) => candidates.FirstOrDefault(File.Exists);

    /// <summary>
    /// Returns the program's path, or null when it is missing and we are not under CI (the caller then returns);
    /// under CI a missing program fails the test here.
    /// </summary>
    public static string? Require(string name, string installHint, params string[] candidates)
    {
        var path = Find(candidates);
        if (path is null && IsCi)
        {
            Assert.Fail($"{name} is missing ({string.Join(", ", candidates)}); {installHint}. Under CI this fails rather than skips.");
        }
        return path;
    }

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
