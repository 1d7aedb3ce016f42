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

    /// <summary>
    /// A TCP port free on loopback right now, taken below the kernel's ephemeral range: a port the kernel handed out
    /// as free (port 0) is the next one it gives an outgoing connection, and CI once lost a Kestrel bind that way.
    /// Each test process starts at its own random offset and never hands the same port out twice.
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < PortSpan; attempt++)
        {
            var port = PortBase + (int)((uint)Interlocked.Increment(ref s_nextPort) % PortSpan);
            if (IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free loopback port between {PortBase} and {PortBase + PortSpan - 1}");
    }

    // 20000 to 32767: above the well-known and registered services tests start (PostgreSQL 5432, NATS 4222, OPC UA 4840),
    // below Linux's default ephemeral range (32768 to 60999).
    private const int PortBase = 20000;
    private const int PortSpan = 12768;
    private static int s_nextPort = Random.Shared.Next(PortSpan);

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
