using System.Diagnostics;
using System.Net.Sockets;


namespace ThermalPlant.Testing;

/// <summary>Debian's real nginx running the repository's DMZ configuration on loopback, in a temp dir.</summary>
public sealed class DmzNginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private DmzNginx(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    /// <summary>Starts nginx in front of <paramref name="upstream"/>; a missing nginx fails the test, naming what to install.</summary>
    public static async Task<DmzNginx> StartAsync(Uri upstream)
    {
        var nginx = PeerPrograms.Require("nginx", "scripts/test installs it (apt-get install nginx-light)", "/usr/sbin/nginx", "/usr/bin/nginx");

        var directory = Directory.CreateTempSubdirectory("thermalplant-dmz-").FullName;
        var port = PeerPrograms.FreePort();
        var dmz = (await File.ReadAllTextAsync(RepositoryPaths.Combine("nginx", "dmz.conf.template")))
            .Replace("${SENSORS_UPSTREAM}", $"127.0.0.1:{upstream.Port}", StringComparison.Ordinal)
            .Replace("${DMZ_LISTEN}", $"127.0.0.1:{port}", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(directory, "dmz.conf"), dmz);
        await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), $$"""
            worker_processes 1;
            error_log {{directory}}/error.log warn;
            pid {{directory}}/nginx.pid;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/dmz.conf;
            }
            """);

        var start = new ProcessStartInfo(nginx, ["-p", directory, "-c", Path.Combine(directory, "nginx.conf"), "-e", Path.Combine(directory, "error.log"), "-g", "daemon off;"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (process.HasExited)
            {
                var log = File.Exists(Path.Combine(directory, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "error.log")) : "";
                Assert.Fail($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()} {log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        return new DmzNginx(process, directory, new Uri($"http://127.0.0.1:{port}"));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
