using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ThermalPlant.Benchmarks.Load;

/// <summary>
/// A throwaway PostgreSQL 15 cluster for one benchmark run: initdb into a temp dir, listening on 127.0.0.1 on a free
/// port with its unix socket in that dir, trust authentication, deleted on dispose. Unlike the test fixture it keeps
/// the server's durability settings at their defaults (fsync, synchronous_commit, full_page_writes on), because the
/// figure must be what a real installation pays per commit. initdb refuses to run as root, so under root the cluster
/// runs as the postgres user, as the test fixture does.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private const string RunUser = "/usr/sbin/runuser";

    private readonly bool _asServiceUser;

    private PostgresCluster(string root, string binaries, bool asServiceUser, int port)
    {
        Root = root;
        Binaries = binaries;
        _asServiceUser = asServiceUser;
        Port = port;
    }

    /// <summary>The temp dir holding the data dir, the log and the socket.</summary>
    public string Root { get; }

    /// <summary>The dir of initdb, pg_ctl and psql.</summary>
    public string Binaries { get; }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    private string DataDir => Path.Combine(Root, "data");

    private string LogPath => Path.Combine(Root, "postgres.log");

    private static readonly string[] BinaryFolders = ["/usr/lib/postgresql/15/bin", "/usr/local/bin"];

    /// <summary>Starts a cluster; with <paramref name="timescaleDb"/> it preloads TimescaleDB (installed, or this fails saying so).</summary>
    public static async Task<PostgresCluster> StartAsync(CancellationToken cancellationToken, bool timescaleDb = false)
    {
        var binaries = BinaryFolders.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL 15 is not installed (initdb not found); apt-get install postgresql-15.");
        var asServiceUser = Environment.IsPrivilegedProcess;
        var root = Directory.CreateTempSubdirectory("thermalplant-bench-pg-").FullName;
        if (asServiceUser) await RunCheckedAsync("/bin/chown", [ServiceUser, root], cancellationToken);
        var cluster = new PostgresCluster(root, binaries, asServiceUser, FreePort());
        try
        {
            await cluster.RunAsUserCheckedAsync("initdb",
                ["-D", cluster.DataDir, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions"], cancellationToken);
            var options = string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {cluster.Port} -k {root}");
            if (timescaleDb)
            {
                var library = Path.Combine(Path.GetDirectoryName(binaries)!, "lib", "timescaledb.so");
                if (!File.Exists(library)) throw new InvalidOperationException($"TimescaleDB is not installed ({library}); scripts/test builds it from ../shared/vendor.");
                // Its jobs stay off: the benchmark compresses chunks itself, and nothing else may take the cores.
                options += " -c shared_preload_libraries=timescaledb -c timescaledb.max_background_workers=0 -c timescaledb.telemetry_level=off";
            }
            await cluster.RunAsUserCheckedAsync("pg_ctl", ["-D", cluster.DataDir, "-l", cluster.LogPath, "-w", "-t", "60", "-o", options, "start"], cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The connection string for <paramref name="database"/>, as the superuser over TCP (as psql connects).</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = ServiceUser,
        Database = database,
        CommandTimeout = 600,
    }.ConnectionString;

    public async Task CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
        {
            await RunAsUserAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        }
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>Runs a program to its end and returns its exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task RunAsUserCheckedAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsUserAsync(program, arguments, cancellationToken);
        if (exit != 0)
        {
            var log = File.Exists(LogPath) ? await File.ReadAllTextAsync(LogPath, cancellationToken) : string.Empty;
            throw new InvalidOperationException($"{program} failed ({exit}): {output}{Environment.NewLine}{log}");
        }
    }

    private Task<(int ExitCode, string Output)> RunAsUserAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Binaries, program);
        return _asServiceUser
            ? RunAsync(RunUser, ["-u", ServiceUser, "--", path, .. arguments], cancellationToken)
            : RunAsync(path, arguments, cancellationToken);
    }

    private static async Task RunCheckedAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync(program, arguments, cancellationToken);
        if (exit != 0) throw new InvalidOperationException($"{program} failed ({exit}): {output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
