using System.Net;
using System.Net.Sockets;

namespace ThermalPlant.Testing;

/// <summary>Locating the real peer programs tests start, and the rule for when one is missing.</summary>
public static class PeerPrograms
{
    /// <summary>The first existing path among <paramref name="candidates"/>, or null.</summary>
    public static string? Find(params string[] candidates) => candidates.FirstOrDefault(File.Exists);

    /// <summary>
    /// Returns the program's path; a missing program fails the test here, naming what to install, on a developer
    /// machine as under CI: a test whose real peer is missing never passes silently.
    /// </summary>
    public static string Require(string name, string installHint, params string[] candidates)
    {
        var path = Find(candidates);
        if (path is null)
        {
            Assert.Fail($"{name} is missing ({string.Join(", ", candidates)}); {installHint}. A missing peer fails rather than skips.");
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
