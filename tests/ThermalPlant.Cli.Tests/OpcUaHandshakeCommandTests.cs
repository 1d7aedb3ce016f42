using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ThermalPlant.Cli.OpcUa;

namespace ThermalPlant.Cli.Tests;

/// <summary><c>opcua read</c> against a server that accepts TCP and never answers (issue 13, item 4).</summary>
public sealed class OpcUaHandshakeCommandTests
{
    // The client's default HandshakeTimeout; the command gives up within it and a generous margin for a loaded machine.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Read_from_a_server_that_never_acknowledges_fails_within_the_deadline_naming_the_step()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var held = new List<TcpClient>();
        var accepting = Task.Run(async () =>
        {
            // Accepts and holds every connection without a byte in answer, as the stalled peer of the issue did.
            while (true) held.Add(await listener.AcceptTcpClientAsync());
        });
        try
        {
            var url = $"opc.tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/freeopcua/server/";
            using var output = new StringWriter();
            using var error = new StringWriter();
            var root = new RootCommand { OpcUaCommands.Create(output, error: error) };
            var watch = Stopwatch.StartNew();

            var exit = await root.Parse(["opcua", "read", url, "ns=2;s=Plant.Temperature.Upper"]).InvokeAsync();

            watch.Stop();
            Assert.Equal(1, exit);
            // The status once, as the message carries it: not "BadTimeout: BadTimeout: ...".
            Assert.StartsWith("error: BadTimeout: ", error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("BadTimeout: BadTimeout", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("Hello/Acknowledge", error.ToString(), StringComparison.Ordinal);
            Assert.InRange(watch.Elapsed, Deadline - TimeSpan.FromMilliseconds(200), Deadline + TimeSpan.FromSeconds(15));
            Assert.NotEmpty(held);
        }
        finally
        {
            listener.Stop();
            await Assert.ThrowsAnyAsync<Exception>(() => accepting);
            foreach (var tcp in held) tcp.Dispose();
        }
    }
}
