using System.Globalization;
using Npgsql;

namespace ThermalPlant.Testing;

/// <summary>
/// A real PostgreSQL 15 cluster for one test run: initdb into a temp dir, listening on 127.0.0.1 on a free port
/// with its unix socket inside that dir, trust authentication, stopped and deleted on dispose.
/// initdb refuses to run as root, so under root the cluster runs as the postgres user in a dir it owns.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string Hint = "scripts/test installs postgresql-15";
    private const string RunUser = "/usr/sbin/runuser";
    private const string ServiceUser = "postgres";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private static int s_databases;

    private readonly string _binaries;
    private readonly bool _asServiceUser;

    private PostgresServer(string root, string binaries, bool asServiceUser, int port)
    {
        Root = root;
        _binaries = binaries;
        _asServiceUser = asServiceUser;
        Port = port;
    }

    /// <summary>The temp dir holding the data dir, the log and the socket.</summary>
    public string Root { get; }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Whether the server loads TimescaleDB (it does when the extension's library is installed).</summary>
    public bool TimescaleDbPreloaded { get; private set; }

    /// <summary>The server's log so far, for failure messages.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : string.Empty;

    private string DataDir => Path.Combine(Root, "data");

    private string LogPath => Path.Combine(Root, "postgres.log");

    /// <summary>
    /// Starts a cluster; a missing PostgreSQL fails the test here, naming what to install.
    /// </summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var initdb = PeerPrograms.Require("PostgreSQL 15 (initdb)", Hint, "/usr/lib/postgresql/15/bin/initdb", "/usr/local/bin/initdb");
        var binaries = Path.GetDirectoryName(initdb)!;
        if (!File.Exists(Path.Combine(binaries, "pg_ctl"))) binaries = "/usr/lib/postgresql/15/bin";
        var asServiceUser = Environment.IsPrivilegedProcess;

        var root = Directory.CreateTempSubdirectory("thermalplant-pg-").FullName;
        if (asServiceUser) await RunCheckedAsync("/bin/chown", [ServiceUser, root], cancellationToken);

        var failures = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // A free port can be taken between probing and binding; another port on a retry settles that.
            var server = new PostgresServer(root, binaries, asServiceUser, PeerPrograms.FreePort());
            try
            {
                await server.InitAndStartAsync(attempt == 0, cancellationToken);
                return server;
            }
            catch (InvalidOperationException e)
            {
                failures.Add(e.Message);
            }
        }
        Directory.Delete(root, recursive: true);
        throw new InvalidOperationException("PostgreSQL did not start: " + string.Join(Environment.NewLine, failures));
    }

    /// <summary>The connection string for <paramref name="database"/> on this server, as the superuser.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = ServiceUser,
        Database = database,
        Timeout = 30,
        CommandTimeout = 120,
    }.ConnectionString;

    /// <summary>Creates an empty database with a fresh name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "test_" + Interlocked.Increment(ref s_databases).ToString(CultureInfo.InvariantCulture);
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>Stops the server as an administrator does (<c>pg_ctl stop -m fast</c>: sessions are ended, the data kept); <see cref="StartAgainAsync"/> brings it back.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var (exit, output) = await RunAsync(Path.Combine(_binaries, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "stop"], cancellationToken);
        if (exit != 0) throw new InvalidOperationException($"pg_ctl stop failed ({exit}): {output}{Environment.NewLine}{Log}");
    }

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> again, on the same port and data.</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken = default) => InitAndStartAsync(initialize: false, cancellationToken);

    /// <summary>Stops the server (immediately: the data is thrown away) and deletes its dir.</summary>
    public async ValueTask DisposeAsync()
    {
        await RunAsync(Path.Combine(_binaries, "pg_ctl"), ["-D", DataDir, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(Root, recursive: true);
    }

    private async Task InitAndStartAsync(bool initialize, CancellationToken cancellationToken)
    {
        if (initialize)
        {
            var (initExit, initOutput) = await RunAsync(Path.Combine(_binaries, "initdb"),
                ["-D", DataDir, "-U", ServiceUser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"], cancellationToken);
            if (initExit != 0) throw new InvalidOperationException($"initdb failed ({initExit}): {initOutput}");
        }

        // Durability settings off: the cluster lives for one test run and is deleted after it.
        var settings = new List<string>
        {
            "-c listen_addresses=127.0.0.1",
            $"-p {Port.ToString(CultureInfo.InvariantCulture)}",
            $"-k {Root}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
        };
        TimescaleDbPreloaded = File.Exists(Path.Combine(await LibraryDirAsync(cancellationToken), "timescaledb.so"));
        if (TimescaleDbPreloaded)
        {
            // Tests run TimescaleDB's jobs themselves (CALL run_job) so that results never wait on a scheduler; its
            // background workers stay off, which also keeps them from failing on servers where they cannot run
            // (PostgreSQL 15.20: "cannot drop portal", see ../shared/vendor/README.md).
            settings.Add("-c shared_preload_libraries=timescaledb");
            settings.Add("-c timescaledb.max_background_workers=0");
            settings.Add("-c timescaledb.telemetry_level=off");
        }

        var (exit, output) = await RunAsync(Path.Combine(_binaries, "pg_ctl"),
            ["-D", DataDir, "-l", LogPath, "-w", "-t", "60", "-o", string.Join(' ', settings), "start"], cancellationToken);
        if (exit != 0) throw new InvalidOperationException($"pg_ctl start failed ({exit}): {output}{Environment.NewLine}{Log}");
    }

    private async Task<string> LibraryDirAsync(CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync(Path.Combine(_binaries, "pg_config"), ["--pkglibdir"], cancellationToken);
        return exit == 0 ? output.Trim() : Path.Combine(Path.GetDirectoryName(_binaries)!, "lib");
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        if (!_asServiceUser) return await RunProgramAsync(program, arguments, cancellationToken);
        return await RunProgramAsync(RunUser, ["-u", ServiceUser, "--", program, .. arguments], cancellationToken);
    }

    private static async Task RunCheckedAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunProgramAsync(program, arguments, cancellationToken);
        if (exit != 0) throw new InvalidOperationException($"{program} failed ({exit}): {output}");
    }

    private static async Task<(int ExitCode, string Output)> RunProgramAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        // The helper bounds the run by CommandTimeout; a cancelled caller stops before the next program starts.
        cancellationToken.ThrowIfCancellationRequested();
        return await ManagedProcess.RunAsync(program, arguments, CommandTimeout, workingDirectory: "/");
    }
}
