using System.Globalization;
using Microsoft.AspNetCore.Builder;
using ThermalPlant.Sensors;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>
/// The real chain on loopback: the sensors service (simulated plant), Debian's nginx with the repository's DMZ
/// configuration in front of it, and the OPC UA server service polling through the DMZ; each part can be stopped
/// and started again on its ports.
/// </summary>
internal sealed class PlantStack : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("thermalplant-opcserver-").FullName;
    private readonly int _sensorsPort = PeerPrograms.FreePort();
    private readonly int _opcPort = PeerPrograms.FreePort();
    private readonly int _httpPort = PeerPrograms.FreePort();
    private readonly string[] _opcServerSettings;
    private WebApplication? _sensors;
    private WebApplication? _opcServer;
    private DmzNginx? _dmz;

    public string OpcUrl => $"opc.tcp://127.0.0.1:{_opcPort}/freeopcua/server/";

    public Uri SensorsAddress => new($"http://127.0.0.1:{_sensorsPort}/");

    public Uri OpcServerHttp => new($"http://127.0.0.1:{_httpPort}/");

    public TimeSpan PollInterval { get; } = TimeSpan.FromMilliseconds(300);

    private PlantStack(string[] opcServerSettings) => _opcServerSettings = opcServerSettings;

    /// <summary>The OPC UA server's certificate store, in the stack's temporary folder.</summary>
    public string CertificateStorePath => Path.Combine(_directory, "pki");

    /// <summary>Starts the chain, the OPC UA server with <paramref name="opcServerSettings"/> added; null when nginx is missing outside CI.</summary>
    public static async Task<PlantStack?> StartAsync(params string[] opcServerSettings)
    {
        var stack = new PlantStack(opcServerSettings);
        await stack.StartSensorsAsync();
        stack._dmz = await DmzNginx.StartAsync(stack.SensorsAddress);
        if (stack._dmz is null)
        {
            await stack.DisposeAsync();
            return null;
        }
        await stack.StartOpcServerAsync();
        return stack;
    }

    public async Task StartSensorsAsync()
    {
        _sensors = SensorsHost.Create([$"--urls=http://127.0.0.1:{_sensorsPort}", "--Serilog:MinimumLevel:Default=Warning"]);
        await _sensors.StartAsync();
    }

    public async Task StopSensorsAsync()
    {
        if (_sensors is null) return;
        await _sensors.StopAsync();
        await _sensors.DisposeAsync();
        _sensors = null;
    }

    public async Task StartOpcServerAsync()
    {
        _opcServer = OpcServerHost.Create(
        [
            $"--urls=http://127.0.0.1:{_httpPort}",
            "--Serilog:MinimumLevel:Default=Warning",
            $"--OpcServer:DmzUrl={_dmz!.Address}",
            "--OpcServer:ListenAddress=127.0.0.1",
            "--OpcServer:HostName=127.0.0.1",
            $"--OpcServer:Port={_opcPort}",
            $"--OpcServer:PollInterval={PollInterval.ToString("c", CultureInfo.InvariantCulture)}",
            "--OpcServer:CatalogRefreshInterval=00:00:01",
            $"--OpcServer:HistoryPath={Path.Combine(_directory, "history.bin")}",
            $"--OpcServer:EventHistoryPath={Path.Combine(_directory, "events.bin")}",
            $"--OpcServer:CertificateStorePath={CertificateStorePath}",
            // The policies the service's appsettings.json offers, given here: this folder's appsettings.json is whichever
            // referenced project's was copied last (the sensors service's, in some build orders).
            "--OpcServer:SecurityPolicies:0=Basic256Sha256",
            "--OpcServer:SecurityPolicies:1=Aes128_Sha256_RsaOaep",
            "--OpcServer:SecurityPolicies:2=Aes256_Sha256_RsaPss",
            .. _opcServerSettings,
        ]);
        await _opcServer.StartAsync();
        await HttpWait.UntilOkAsync(new Uri(OpcServerHttp, "health/ready"), TimeSpan.FromSeconds(30));
    }

    public async Task StopOpcServerAsync()
    {
        if (_opcServer is null) return;
        await _opcServer.StopAsync();
        await _opcServer.DisposeAsync();
        _opcServer = null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopOpcServerAsync();
        }
        finally
        {
            if (_dmz is not null) await _dmz.DisposeAsync();
            await StopSensorsAsync();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
