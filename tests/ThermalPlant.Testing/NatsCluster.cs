using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace ThermalPlant.Testing;

/// <summary>
/// A real three-node NATS cluster (Debian's nats-server, JetStream on every node) for one test: each node listens on
/// 127.0.0.1 on free ports (client, cluster route, monitoring) with its store in a temp dir; a node can be killed
/// (SIGKILL) and restarted on the same ports and store, as a crashed server is. Everything is deleted on dispose.
/// </summary>
public sealed class NatsCluster : IAsyncDisposable
{
    private const string Hint = "scripts/test installs it (Debian package nats-server: apt-get install nats-server)";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _program;
    private readonly Node[] _nodes;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private NatsCluster(string program, string root, Node[] nodes)
    {
        _program = program;
        Root = root;
        _nodes = nodes;
    }

    /// <summary>The temp dir holding each node's configuration, store and log.</summary>
    public string Root { get; }

    /// <summary>Every node's client URL, comma-separated, as the clients are configured.</summary>
    public string Url => string.Join(',', _nodes.Select(n => $"nats://127.0.0.1:{n.ClientPort.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>How many nodes the cluster has.</summary>
    public int Count => _nodes.Length;

    /// <summary>Every node's output so far, for failure messages.</summary>
    public string Log => string.Join(Environment.NewLine, _nodes.Select(n => $"--- {n.Name} ---{Environment.NewLine}{n.Process?.Output}"));

    /// <summary>Starts three nodes and waits until JetStream answers on each; a missing nats-server fails the test, naming what to install.</summary>
    public static async Task<NatsCluster> StartAsync(int nodes = 3)
    {
        var program = PeerPrograms.Require("nats-server", Hint, "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")!;
        var root = Directory.CreateTempSubdirectory("thermalplant-nats-").FullName;
        var all = Enumerable.Range(0, nodes).Select(i => new Node($"n{i + 1}", PeerPrograms.FreePort(), PeerPrograms.FreePort(), PeerPrograms.FreePort())).ToArray();
        var cluster = new NatsCluster(program, root, all);
        foreach (var node in all) cluster.WriteConfiguration(node);
        foreach (var node in all) node.Process = cluster.Launch(node);
        await cluster.WaitReadyAsync();
        return cluster;
    }

    /// <summary>Kills node <paramref name="index"/> (SIGKILL: no clean shutdown, as a crash or power loss).</summary>
    public async Task KillAsync(int index)
    {
        var node = _nodes[index];
        // Killing a node that is down already changes nothing.
        if (node.Process is not null)
        {
            await node.Process.DisposeAsync();
            node.Process = null;
        }
    }

    /// <summary>Starts node <paramref name="index"/> again on its ports and store, and waits until it answers.</summary>
    public async Task RestartAsync(int index)
    {
        var node = _nodes[index];
        if (node.Process is not null) throw new InvalidOperationException($"{node.Name} is running");
        node.Process = Launch(node);
        await WaitHealthyAsync(node);
    }

    /// <summary>The index of the node leading <paramref name="stream"/>'s Raft group, read from a live node's /jsz.</summary>
    public async Task<int> StreamLeaderAsync(string stream)
    {
        foreach (var node in _nodes.Where(n => n.Process is not null))
        {
            using var document = await _http.GetFromJsonAsync<JsonDocument>($"http://127.0.0.1:{node.MonitorPort.ToString(CultureInfo.InvariantCulture)}/jsz?streams=true");
            foreach (var account in document!.RootElement.TryGetProperty("account_details", out var accounts) ? accounts.EnumerateArray() : default)
            {
                foreach (var detail in account.TryGetProperty("stream_detail", out var streams) ? streams.EnumerateArray() : default)
                {
                    if (detail.GetProperty("name").GetString() != stream) continue;
                    var leader = detail.GetProperty("cluster").GetProperty("leader").GetString();
                    var index = Array.FindIndex(_nodes, n => n.Name == leader);
                    if (index >= 0) return index;
                }
            }
        }
        throw new InvalidOperationException($"no node names a leader of stream {stream}:{Environment.NewLine}{Log}");
    }

    /// <summary>Kills every node and deletes the stores.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node.Process is not null) await node.Process.DisposeAsync();
            node.Process = null;
        }
        _http.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private void WriteConfiguration(Node node)
    {
        var routes = string.Join(", ", _nodes.Select(n => $"\"nats-route://127.0.0.1:{n.RoutePort.ToString(CultureInfo.InvariantCulture)}\""));
        var store = Path.Combine(Root, node.Name);
        Directory.CreateDirectory(store);
        File.WriteAllText(Path.Combine(Root, node.Name + ".conf"), $$"""
            server_name: {{node.Name}}
            listen: "127.0.0.1:{{node.ClientPort.ToString(CultureInfo.InvariantCulture)}}"
            http: "127.0.0.1:{{node.MonitorPort.ToString(CultureInfo.InvariantCulture)}}"
            jetstream {
              store_dir: "{{store}}"
              max_memory_store: 64MB
              max_file_store: 2GB
            }
            cluster {
              name: thermalplant-test
              listen: "127.0.0.1:{{node.RoutePort.ToString(CultureInfo.InvariantCulture)}}"
              routes: [{{routes}}]
            }
            """);
    }

    private ManagedProcess Launch(Node node) => ManagedProcess.Start(_program, ["-c", Path.Combine(Root, node.Name + ".conf")], workingDirectory: Root);

    private async Task WaitReadyAsync()
    {
        foreach (var node in _nodes) await WaitHealthyAsync(node);
    }

    /// <summary>Waits for /healthz to answer 200, which a JetStream node does once it is current with the meta group.</summary>
    private async Task WaitHealthyAsync(Node node)
    {
        var until = DateTime.UtcNow + StartTimeout;
        var last = "";
        while (DateTime.UtcNow < until)
        {
            if (node.Process is { HasExited: true }) throw new InvalidOperationException($"nats-server {node.Name} exited:{Environment.NewLine}{node.Process.Output}");
            try
            {
                using var response = await _http.GetAsync($"http://127.0.0.1:{node.MonitorPort.ToString(CultureInfo.InvariantCulture)}/healthz");
                if (response.IsSuccessStatusCode) return;
                last = await response.Content.ReadAsStringAsync();
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"nats-server {node.Name} was not healthy within {StartTimeout.TotalSeconds} s ({last}):{Environment.NewLine}{Log}");
    }

    private sealed class Node(string name, int clientPort, int routePort, int monitorPort)
    {
        public string Name { get; } = name;

        public int ClientPort { get; } = clientPort;

        public int RoutePort { get; } = routePort;

        public int MonitorPort { get; } = monitorPort;

        public ManagedProcess? Process { get; set; }
    }
}
