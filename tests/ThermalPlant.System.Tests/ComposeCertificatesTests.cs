using System.Globalization;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Npgsql;
using ThermalPlant.OpcUa.Security.Certificates;
using ThermalPlant.Testing;
using YamlDotNet.Serialization;

namespace ThermalPlant.System.Tests;

/// <summary>
/// The fullstack profile's site CA without a Docker engine (issue 20): the one-shot <c>certificates</c> service's command
/// runs as docker-compose resolves it, with every named volume a temp dir; then the OPC UA server and the scraper run as
/// their own processes from their build output with the environment compose and their Dockerfiles give them and the same
/// volumes, and values arrive in PostgreSQL over Basic256Sha256 SignAndEncrypt with the scraper's user login, with no
/// certificate trusted by hand; and the bridge's control link reads the simulated methanation unit the same way.
/// </summary>
public sealed partial class ComposeCertificatesTests
{
    private const string ScraperPassword = "scraper-test-only";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(180);

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Init_service_issues_every_store_and_the_scraper_stores_the_servers_values_over_SignAndEncrypt_trusting_only_the_CA()
    {
        using var directory = new TempDirectory("thermalplant-compose-ca-");
        var cli = await CliWrapperAsync(directory.Path);
        var (hashExit, hash) = await ManagedProcess.RunAsync(cli, ["opcua", "hash-password", ScraperPassword], Timeout);
        Assert.True(hashExit == 0, hash);
        var services = await ResolvedServicesAsync(directory.Path, hash.Trim());
        var volumes = Path.Combine(directory.Path, "volumes");

        // The init service: its shell script with each mount's path replaced by the volume's temp dir.
        var init = services["certificates"];
        Assert.Equal(["/bin/sh", "-ec"], Strings(init["entrypoint"]));
        Assert.Equal("no", init["restart"]);
        var mounts = Mounts(init, volumes);
        var script = mounts.OrderByDescending(m => m.Key.Length).Aggregate(Assert.Single(Strings(init["command"])), (text, m) => text.Replace(m.Key, m.Value, StringComparison.Ordinal));
        Assert.DoesNotContain("/pki/", script, StringComparison.Ordinal);
        var inherited = global::System.Environment.GetEnvironmentVariable("PATH");
        var path = $"{Path.GetDirectoryName(cli)}:{inherited}";
        var (initExit, initOutput) = await ManagedProcess.RunAsync("/bin/sh", ["-ec", script], Timeout, directory.Path, new Dictionary<string, string> { ["PATH"] = path });
        Assert.True(initExit == 0, initOutput);
        Assert.Contains("created: CN=Thermal Plant site CA", initOutput, StringComparison.Ordinal);

        // Every service's depends_on waits for it to complete.
        foreach (var name in new[] { "opcserver", "analytics", "scraper", "scraper-nats", "bridge", "electrolyzer" })
        {
            var condition = ((Dictionary<object, object>)((Dictionary<object, object>)services[name]["depends_on"])["certificates"])["condition"];
            Assert.Equal("service_completed_successfully", condition);
        }

        // Each store holds its application's CA-issued certificate (URI and host names) and trusts the CA alone.
        var ca = Path.Combine(volumes, "site-ca");
        using var authority = CertificateAuthority.Open(ca, TimeProvider.System);
        var opcserverStore = Path.Combine(volumes, "opcserver-data", "pki");
        var scraperStore = Path.Combine(volumes, "scraper-data", "pki");
        var bridgeStore = Path.Combine(volumes, "bridge-data", "pki");
        var methanationStore = Path.Combine(volumes, "electrolyzer-data", "pki");
        var issued = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (store, uri, host) in new[]
        {
            (opcserverStore, "urn:thermalplant:opcserver", "opcserver"),
            (Path.Combine(volumes, "analytics-data", "pki"), "urn:thermalplant:analytics:server", "analytics"),
            (Path.Combine(volumes, "analytics-data", "client-pki"), "urn:thermalplant:analytics:client", "analytics"),
            (scraperStore, "urn:thermalplant:scraper", "scraper"),
            (Path.Combine(volumes, "scraper-nats-data", "pki"), "urn:thermalplant:scraper", "scraper-nats"),
            (bridgeStore, "urn:thermalplant:control", "bridge"),
            (methanationStore, "urn:thermalplant:methanation:plc", "electrolyzer"),
        })
        {
            var own = authority.IssuedIn(new CertificateStore(store));
            var certificate = Assert.Single(own);
            Assert.Equal([uri], ApplicationCertificates.Uris(certificate));
            Assert.Contains(host, ApplicationCertificates.DnsNames(certificate));
            issued[store] = certificate.Thumbprint;
            foreach (var c in own) c.Dispose();
            var trusted = CertificateStore.Load(new CertificateStore(store).TrustedCerts);
            Assert.Equal([authority.Certificate.Thumbprint], trusted.Select(c => c.Thumbprint));
            foreach (var c in trusted) c.Dispose();
            Assert.Single(Directory.GetFiles(new CertificateStore(store).TrustedCrl));
        }

        // At the next `up` it runs again: the CA and every current certificate are kept.
        var (againExit, againOutput) = await ManagedProcess.RunAsync("/bin/sh", ["-ec", script], Timeout, directory.Path, new Dictionary<string, string> { ["PATH"] = path });
        Assert.True(againExit == 0, againOutput);
        Assert.Contains("kept: CN=Thermal Plant site CA", againOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("issued:", againOutput, StringComparison.Ordinal);
        foreach (var (store, thumbprint) in issued)
        {
            using var current = Assert.Single(authority.IssuedIn(new CertificateStore(store)));
            Assert.Equal(thumbprint, current.Thumbprint);
        }

        // The database: the fixture's cluster on loopback, as compose's timescaledb host cannot resolve here.
        await using var postgres = await PostgresServer.StartAsync();
        Assert.True(postgres is not null, "PostgreSQL 15 is needed (scripts/test installs postgresql-15)");
        var database = await postgres.CreateDatabaseAsync();

        // The OPC UA server reads the sensors through the DMZ: both real, on loopback (compose's dmz cannot resolve here).
        var sensorsPort = PeerPrograms.FreePort();
        await using var sensors = ManagedProcess.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "ThermalPlant.Sensors.dll"), $"--urls=http://127.0.0.1:{sensorsPort}", "--Serilog:MinimumLevel:Default=Warning"],
            workingDirectory: directory.Path);
        var sensorsUri = new Uri($"http://127.0.0.1:{sensorsPort}/");
        await HttpWait.UntilOkAsync(new Uri(sensorsUri, "health/ready"), Deadline, () => sensors.Output);
        await using var dmz = await DmzNginx.StartAsync(sensorsUri);
        Assert.True(dmz is not null, "nginx is needed (scripts/test installs nginx-light)");

        // The server as compose runs it: signed and encrypted only, users only; its store in its volume.
        var opcserver = services["opcserver"];
        var serverEnvironment = ServiceEnvironment(opcserver, "src/ThermalPlant.OpcServer/Dockerfile", Mounts(opcserver, volumes));
        Assert.Equal("false", serverEnvironment["OpcServer__AllowSecurityNone"]);
        Assert.Equal("SignAndEncrypt", serverEnvironment["OpcServer__SecurityModes__0"]);
        Assert.Equal("false", serverEnvironment["OpcServer__Users__AllowAnonymous"]);
        Assert.Equal("localhost", serverEnvironment["OpcServer__HostName"]);
        var (opcPort, opcHttp) = (PeerPrograms.FreePort(), PeerPrograms.FreePort());
        // Overridden: loopback addresses and free ports instead of the container's, the DMZ's address.
        serverEnvironment["OpcServer__ListenAddress"] = "127.0.0.1";
        serverEnvironment["OpcServer__Port"] = opcPort.ToString(CultureInfo.InvariantCulture);
        serverEnvironment["Urls"] = $"http://127.0.0.1:{opcHttp}";
        serverEnvironment["OpcServer__DmzUrl"] = dmz.Address.ToString();
        // And one margin: a DMZ request may take over the default 0.4 s on a loaded CI box, where the catalog would never load.
        serverEnvironment["OpcServer__HttpAttemptTimeout"] = "00:00:05";
        await using var server = StartService("ThermalPlant.OpcServer", serverEnvironment, Workdir(opcserver, directory.Path, "opcserver", volumes));
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{opcHttp}/health/ready"), Deadline, () => server.Output);

        // The scraper as compose runs it, reading the server (endpoint 0). The other endpoints, the Modbus device and the
        // control link are the simulated units and the analytics service, not started here: left out.
        var scraper = services["scraper"];
        var scraperEnvironment = ServiceEnvironment(scraper, "src/ThermalPlant.Scraper/Dockerfile", Mounts(scraper, volumes));
        foreach (var key in scraperEnvironment.Keys.Where(k => OtherSources().IsMatch(k)).ToList()) scraperEnvironment.Remove(key);
        Assert.Equal("Basic256Sha256", scraperEnvironment["Scraper__OpcUa__Endpoints__0__SecurityPolicy"]);
        Assert.Equal("SignAndEncrypt", scraperEnvironment["Scraper__OpcUa__Endpoints__0__SecurityMode"]);
        Assert.Equal("scraper", scraperEnvironment["Scraper__OpcUa__Endpoints__0__UserName"]);
        Assert.Equal(scraperStore, scraperEnvironment["Scraper__OpcUa__Endpoints__0__CertificateStorePath"]);
        // Compose's opcserver:4840 cannot resolve here: the server's certificate also names localhost, which does, so the
        // scraper still checks the certificate names the host it connects to.
        var url = scraperEnvironment["Scraper__OpcUa__Endpoints__0__Url"];
        Assert.StartsWith("opc.tcp://opcserver:4840/", url, StringComparison.Ordinal);
        scraperEnvironment["Scraper__OpcUa__Endpoints__0__Url"] = url.Replace("opcserver:4840", $"localhost:{opcPort}", StringComparison.Ordinal);
        scraperEnvironment["Scraper__Database__ConnectionString"] = database;
        var scraperHttp = PeerPrograms.FreePort();
        scraperEnvironment["Urls"] = $"http://127.0.0.1:{scraperHttp}";
        await using var scraperProcess = StartService("ThermalPlant.Scraper", scraperEnvironment, Workdir(scraper, directory.Path, "scraper", volumes));
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{scraperHttp}/health/live"), Deadline, () => scraperProcess.Output);

        await using var db = NpgsqlDataSource.Create(database);
        var until = DateTime.UtcNow + Deadline;
        while (await CountAsync(db) == 0)
        {
            Assert.True(DateTime.UtcNow < until, $"no values in sensor_data within {Deadline.TotalSeconds} s.\nscraper:\n{Tail(scraperProcess.Output)}\nopcserver:\n{Tail(server.Output)}");
            await Task.Delay(500);
        }

        // Trust went through the CA: neither side rejected the other, and the server kept its CA-issued certificate.
        Assert.Empty(Files(new CertificateStore(opcserverStore).RejectedCerts));
        Assert.Empty(Files(new CertificateStore(scraperStore).RejectedCerts));
        using var serverCertificate = Assert.Single(authority.IssuedIn(new CertificateStore(opcserverStore)));
        Assert.Equal(issued[opcserverStore], serverCertificate.Thumbprint);
        Assert.Single(CertificateStore.Load(new CertificateStore(opcserverStore).OwnCerts));

        // The bridge's control link reads the simulated methanation unit as compose runs both: SignAndEncrypt with their
        // CA-issued certificates, trusting the CA alone.
        var electrolyzer = services["electrolyzer"];
        var unitEnvironment = ServiceEnvironment(electrolyzer, "src/ThermalPlant.Electrolyzer/Dockerfile", Mounts(electrolyzer, volumes));
        Assert.Equal(methanationStore, unitEnvironment["Methanation__CertificateStorePath"]);
        var (methanationPort, modbusPort, unitHttp) = (PeerPrograms.FreePort(), PeerPrograms.FreePort(), PeerPrograms.FreePort());
        unitEnvironment["Methanation__Address"] = "127.0.0.1";
        unitEnvironment["Methanation__Port"] = methanationPort.ToString(CultureInfo.InvariantCulture);
        unitEnvironment["Electrolyzer__ModbusAddress"] = "127.0.0.1";
        unitEnvironment["Electrolyzer__ModbusPort"] = modbusPort.ToString(CultureInfo.InvariantCulture);
        unitEnvironment["Urls"] = $"http://127.0.0.1:{unitHttp}";
        await using var unit = StartService("ThermalPlant.Electrolyzer", unitEnvironment, Workdir(electrolyzer, directory.Path, "electrolyzer", volumes));
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{unitHttp}/health/ready"), Deadline, () => unit.Output);

        var bridge = services["bridge"];
        var bridgeEnvironment = ServiceEnvironment(bridge, "src/ThermalPlant.Bridge/Dockerfile", Mounts(bridge, volumes));
        Assert.Equal("Basic256Sha256", bridgeEnvironment["Bridge__Links__0__Source__SecurityPolicy"]);
        Assert.Equal("SignAndEncrypt", bridgeEnvironment["Bridge__Links__0__Source__SecurityMode"]);
        Assert.Equal(bridgeStore, bridgeEnvironment["Bridge__Links__0__Source__CertificateStorePath"]);
        // Compose's electrolyzer host cannot resolve here; the unit's certificate also names localhost, which does.
        var sourceUrl = bridgeEnvironment["Bridge__Links__0__Source__EndpointUrl"];
        Assert.Equal("opc.tcp://electrolyzer:4841/", sourceUrl);
        bridgeEnvironment["Bridge__Links__0__Source__EndpointUrl"] = $"opc.tcp://localhost:{methanationPort}/";
        bridgeEnvironment["Bridge__Links__0__Target__Host"] = "127.0.0.1";
        bridgeEnvironment["Bridge__Links__0__Target__Port"] = modbusPort.ToString(CultureInfo.InvariantCulture);
        // The calibration table is a bind mount of the repository's file.
        bridgeEnvironment["Bridge__Links__0__CalibrationFile"] = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");
        var bridgeHttp = PeerPrograms.FreePort();
        bridgeEnvironment["Urls"] = $"http://127.0.0.1:{bridgeHttp}";
        await using var bridgeProcess = StartService("ThermalPlant.Bridge", bridgeEnvironment, Workdir(bridge, directory.Path, "bridge", volumes));
        await HttpWait.UntilOkAsync(new Uri($"http://127.0.0.1:{bridgeHttp}/health/live"), Deadline, () => bridgeProcess.Output);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var connectedUntil = DateTime.UtcNow + Deadline;
        while (!(await http.GetStringAsync(new Uri($"http://127.0.0.1:{bridgeHttp}/metrics"))).Contains("thermalplant_bridge_source_connected{link=\"pemel\"} 1", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < connectedUntil, $"the bridge's source did not connect within {Deadline.TotalSeconds} s.\nbridge:\n{Tail(bridgeProcess.Output)}\nelectrolyzer:\n{Tail(unit.Output)}");
            await Task.Delay(500);
        }
        Assert.Empty(Files(new CertificateStore(bridgeStore).RejectedCerts));
        Assert.Empty(Files(new CertificateStore(methanationStore).RejectedCerts));
        foreach (var store in new[] { bridgeStore, methanationStore })
        {
            using var current = Assert.Single(authority.IssuedIn(new CertificateStore(store)));
            Assert.Equal(issued[store], current.Thumbprint);
            Assert.Single(CertificateStore.Load(new CertificateStore(store).OwnCerts));
        }
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db)
    {
        try
        {
            await using var command = db.CreateCommand("SELECT count(*) FROM sensor_data");
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The scraper migrates the schema in the background.
            return 0;
        }
    }

    /// <summary>A <c>thermalplant</c> on a PATH of its own, as the CLI image has it: this build's command line.</summary>
    [UnsupportedOSPlatform("windows")]
    private static async Task<string> CliWrapperAsync(string root)
    {
        var dll = BuildOutput("ThermalPlant.Cli", "thermalplant.dll");
        var bin = Directory.CreateDirectory(Path.Combine(root, "bin")).FullName;
        var wrapper = Path.Combine(bin, "thermalplant");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet '{dll}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return wrapper;
    }

    /// <summary>The services of the fullstack profile as <c>docker-compose config</c> resolves them with test secrets.</summary>
    private static async Task<Dictionary<string, Dictionary<object, object>>> ResolvedServicesAsync(string root, string scraperHash)
    {
        var compose = PeerPrograms.Require("docker-compose", "scripts/test installs it (apt-get install docker-compose)", "/usr/bin/docker-compose")!;
        var env = Path.Combine(root, "test.env");
        await File.WriteAllLinesAsync(env,
        [
            "POSTGRES_PASSWORD=test-only", "GRAFANA_ADMIN_PASSWORD=test-only", "OPCUA_ANALYTICS_PASSWORD=test-only",
            $"OPCUA_SCRAPER_PASSWORD={ScraperPassword}", $"OPCUA_SCRAPER_PASSWORD_HASH={scraperHash}",
            $"OPCUA_OPERATOR_PASSWORD_HASH={scraperHash}", $"OPCUA_ANALYTICS_PASSWORD_HASH={scraperHash}",
        ]);
        var (exit, output) = await ManagedProcess.RunAsync(compose,
            ["--env-file", env, "-f", RepositoryPaths.Combine("docker-compose.yaml"), "--profile", "fullstack", "config"], Timeout, RepositoryPaths.Root);
        Assert.True(exit == 0, output);
        var document = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(output);
        return ((Dictionary<object, object>)document["services"]).ToDictionary(s => (string)s.Key, s => (Dictionary<object, object>)s.Value, StringComparer.Ordinal);
    }

    /// <summary>Each named volume the service mounts: its path in the container and the temp dir standing for it.</summary>
    private static Dictionary<string, string> Mounts(Dictionary<object, object> service, string volumes)
    {
        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in Strings(service["volumes"]))
        {
            var parts = volume.Split(':');
            if (parts[0].StartsWith('/') || parts[0].StartsWith('.')) continue;
            mounts[parts[1]] = Directory.CreateDirectory(Path.Combine(volumes, parts[0])).FullName;
        }
        Assert.NotEmpty(mounts);
        return mounts;
    }

    /// <summary>The image's ENV (its Dockerfile's last stage) overlaid with the service's environment, mount paths mapped.</summary>
    private static Dictionary<string, string> ServiceEnvironment(Dictionary<object, object> service, string dockerfile, Dictionary<string, string> mounts)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = File.ReadAllText(RepositoryPaths.Combine(dockerfile)).Replace("\\\n", " ", StringComparison.Ordinal);
        foreach (Match line in EnvLine().Matches(text[text.LastIndexOf("\nFROM ", StringComparison.Ordinal)..]))
        {
            foreach (var pair in line.Groups["pairs"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                environment[pair[..at]] = pair[(at + 1)..];
            }
        }
        foreach (var (key, value) in (Dictionary<object, object>)service["environment"]) environment[(string)key] = (string)value;
        foreach (var key in environment.Keys.ToList())
        {
            foreach (var (inside, outside) in mounts.OrderByDescending(m => m.Key.Length))
            {
                if (environment[key] == inside || environment[key].StartsWith(inside + "/", StringComparison.Ordinal))
                {
                    environment[key] = outside + environment[key][inside.Length..];
                    break;
                }
            }
        }
        return environment;
    }

    /// <summary>
    /// The image's WORKDIR (/app) as a temp dir in which each mount below it is a link to its volume's temp dir, so that
    /// the service's relative paths (the server's data/pki) land in the volume as in the container.
    /// </summary>
    private static string Workdir(Dictionary<object, object> service, string root, string name, string volumes)
    {
        const string ImageWorkdir = "/app";
        var workdir = Directory.CreateDirectory(Path.Combine(root, "workdir-" + name)).FullName;
        foreach (var (inside, outside) in Mounts(service, volumes))
        {
            if (inside.StartsWith(ImageWorkdir + "/", StringComparison.Ordinal)) File.CreateSymbolicLink(Path.Combine(workdir, inside[(ImageWorkdir.Length + 1)..]), outside);
        }
        return workdir;
    }

    /// <summary>The service from its build output (its appsettings.json as in the image), in the given working dir.</summary>
    private static ManagedProcess StartService(string project, Dictionary<string, string> environment, string workdir)
    {
        var dll = BuildOutput(project, project + ".dll");
        // Urls as in appsettings.json (which outranks ASPNETCORE_URLS; both say the same port in the image).
        Assert.StartsWith("http://127.0.0.1:", environment["Urls"], StringComparison.Ordinal);
        environment["DOTNET_CONTENTROOT"] = Path.GetDirectoryName(dll)!;
        environment["Serilog__MinimumLevel__Default"] = "Warning";
        return ManagedProcess.Start("dotnet", [dll], workdir, environment);
    }

    /// <summary>A referenced project's build output, of this test build's configuration.</summary>
    private static string BuildOutput(string project, string file)
    {
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var path = RepositoryPaths.Combine("src", project, "bin", framework.Parent!.Name, framework.Name, file);
        Assert.True(File.Exists(path), $"{path} is missing: build tests/ThermalPlant.System.Tests, which builds it");
        return path;
    }

    private static List<string> Strings(object value) => ((List<object>)value).Cast<string>().ToList();

    private static string[] Files(string folder) => Directory.Exists(folder) ? Directory.GetFiles(folder) : [];

    private static string Tail(string text) => text[Math.Max(0, text.Length - 3000)..];

    [GeneratedRegex(@"^ENV\s+(?<pairs>.+)$", RegexOptions.Multiline)]
    private static partial Regex EnvLine();

    [GeneratedRegex(@"^Scraper__(OpcUa__Endpoints__[12]__|Modbus__|Control__)")]
    private static partial Regex OtherSources();
}
