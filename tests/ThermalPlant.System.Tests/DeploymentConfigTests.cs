using System.Text.RegularExpressions;
using ThermalPlant.Testing;

namespace ThermalPlant.System.Tests;

/// <summary>What CI can check of the deployment without a Docker engine: compose profiles, Dockerfiles, Prometheus.</summary>
public sealed partial class DeploymentConfigTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // Every secret the fullstack profile needs, with a test-only value.
    private static readonly Dictionary<string, string> Secrets = new(StringComparer.Ordinal)
    {
        ["POSTGRES_PASSWORD"] = "test-only",
        ["GRAFANA_ADMIN_PASSWORD"] = "test-only",
        ["OPCUA_SCRAPER_PASSWORD"] = "test-only",
        ["OPCUA_SCRAPER_PASSWORD_HASH"] = "pbkdf2-sha256:10000:dGVzdC1vbmx5LXNhbHQ=:dGVzdC1vbmx5LWhhc2gtMzItYnl0ZXMtbG9uZyE=",
        ["OPCUA_OPERATOR_PASSWORD_HASH"] = "pbkdf2-sha256:10000:dGVzdC1vbmx5LXNhbHQ=:dGVzdC1vbmx5LWhhc2gtMzItYnl0ZXMtbG9uZyE=",
        ["OPCUA_ANALYTICS_PASSWORD"] = "test-only",
        ["OPCUA_ANALYTICS_PASSWORD_HASH"] = "pbkdf2-sha256:10000:dGVzdC1vbmx5LXNhbHQ=:dGVzdC1vbmx5LWhhc2gtMzItYnl0ZXMtbG9uZyE=",
    };

    /// <summary>Every profile docker-compose.yaml defines.</summary>
    public static TheoryData<string> Profiles => new() { "sensors_only", "opc", "infrastructure", "fullstack", "cluster" };

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Every_compose_profile_is_valid(string profile)
    {
        var compose = PeerPrograms.Require("docker-compose", "scripts/test installs it (apt-get install docker-compose)", "/usr/bin/docker-compose");
        var env = await WriteEnvFile();
        foreach (var files in new[] { new[] { "docker-compose.yaml" }, ["docker-compose.yaml", "docker-compose.pi.yaml"] })
        {
            var args = new List<string> { "--env-file", env };
            foreach (var file in files) args.AddRange(["-f", RepositoryPaths.Combine(file)]);
            args.AddRange(["--profile", profile, "config", "-q"]);
            var (exit, output) = await ManagedProcess.RunAsync(compose, args, Timeout, RepositoryPaths.Root);
            Assert.True(exit == 0, $"docker-compose config for {profile} ({string.Join(" + ", files)}): {output}");
        }
    }

    [Fact]
    public async Task Compose_refuses_to_run_without_any_one_of_the_secrets()
    {
        var compose = PeerPrograms.Require("docker-compose", "scripts/test installs it (apt-get install docker-compose)", "/usr/bin/docker-compose");
        foreach (var missing in Secrets.Keys)
        {
            var env = await WriteEnvFile(missing);
            var (exit, output) = await ManagedProcess.RunAsync(compose,
                ["--env-file", env, "-f", RepositoryPaths.Combine("docker-compose.yaml"), "--profile", "fullstack", "config", "-q"], Timeout, RepositoryPaths.Root);
            Assert.True(exit != 0, $"compose ran without {missing}");
            Assert.Contains(missing, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Every_service_a_profile_starts_depends_only_on_services_that_profile_starts(string profile)
    {
        // Compose v2 (2.18 and later) refuses a project whose enabled service depends on one no active profile enables;
        // Debian's docker-compose 1.29 does not check it, so this test does.
        var compose = PeerPrograms.Require("docker-compose", "scripts/test installs it (apt-get install docker-compose)", "/usr/bin/docker-compose");
        var (exit, output) = await ManagedProcess.RunAsync(compose,
            ["--env-file", await WriteEnvFile(), "-f", RepositoryPaths.Combine("docker-compose.yaml"), "--profile", profile, "config"], Timeout, RepositoryPaths.Root);
        Assert.True(exit == 0, output);
        var document = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(output);
        var services = (Dictionary<object, object>)document["services"];
        var enabled = services
            .Where(s => !((Dictionary<object, object>)s.Value).TryGetValue("profiles", out var profiles) || ((List<object>)profiles).Contains(profile))
            .Select(s => (string)s.Key)
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(enabled);
        var missing = new List<string>();
        foreach (var name in enabled)
        {
            if (!((Dictionary<object, object>)services[name]).TryGetValue("depends_on", out var dependsOn)) continue;
            var dependencies = dependsOn is Dictionary<object, object> map ? map.Keys.Cast<string>() : ((List<object>)dependsOn).Cast<string>();
            missing.AddRange(dependencies.Where(d => !enabled.Contains(d)).Select(d => $"{name} -> {d}"));
        }
        Assert.True(missing.Count == 0, $"profile {profile} starts services whose dependencies it does not start: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Every_path_a_Dockerfile_copies_exists()
    {
        var dockerfiles = Directory.GetFiles(RepositoryPaths.Combine("src"), "Dockerfile", SearchOption.AllDirectories);
        Assert.NotEmpty(dockerfiles);
        foreach (var dockerfile in dockerfiles)
        {
            foreach (var line in File.ReadAllLines(dockerfile))
            {
                var match = CopyLine().Match(line);
                if (!match.Success) continue;
                var sources = match.Groups["args"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1];
                foreach (var source in sources)
                {
                    Assert.True(File.Exists(RepositoryPaths.Combine(source)) || Directory.Exists(RepositoryPaths.Combine(source)),
                        $"{Path.GetRelativePath(RepositoryPaths.Root, dockerfile)} copies {source}, which does not exist");
                }
            }
        }
    }

    [Fact]
    public async Task Every_service_Dockerfile_is_built_by_compose_with_a_health_check_restart_policy_and_limits()
    {
        var compose = PeerPrograms.Require("docker-compose", "scripts/test installs it (apt-get install docker-compose)", "/usr/bin/docker-compose");
        var (exit, output) = await ManagedProcess.RunAsync(compose,
            ["--env-file", await WriteEnvFile(), "-f", RepositoryPaths.Combine("docker-compose.yaml"), "--profile", "fullstack", "config"], Timeout, RepositoryPaths.Root);
        Assert.True(exit == 0, output);
        // The resolved file: anchors merged, so each service shows what it really gets.
        var document = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(output);
        var services = (Dictionary<object, object>)document["services"];
        var built = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in services)
        {
            var service = (Dictionary<object, object>)value;
            if (!service.TryGetValue("build", out var build)) continue;
            var dockerfile = (string)((Dictionary<object, object>)build)["dockerfile"];
            built[dockerfile] = (string)name;
            if ((string)name == "certificates")
            {
                // The one-shot site CA service: it exits when the stores are ready (the services wait for that), so it is
                // never restarted and has no health to check.
                Assert.Equal("no", service["restart"]);
                Assert.False(service.ContainsKey("healthcheck"), "certificates is one-shot; a health check would never pass");
            }
            else
            {
                Assert.True(service.ContainsKey("healthcheck"), $"{name} has no health check");
                Assert.Equal("unless-stopped", service["restart"]);
            }
            var deploy = (Dictionary<object, object>)service["deploy"];
            Assert.True(((Dictionary<object, object>)((Dictionary<object, object>)deploy["resources"])["limits"]).ContainsKey("memory"), $"{name} has no memory limit");
            // The storage writer runs in the cluster profile only (many plants through NATS).
            var profiles = ((List<object>)service["profiles"]).Cast<string>().ToList();
            Assert.True(profiles.Contains("fullstack") || profiles.Contains("cluster"), $"{name} is in neither fullstack nor cluster");
        }
        var dockerfiles = Directory.GetFiles(RepositoryPaths.Combine("src"), "Dockerfile", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepositoryPaths.Root, path).Replace('\\', '/')).Order(StringComparer.Ordinal);
        Assert.Equal(dockerfiles, built.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("electrolyzer", built["src/ThermalPlant.Electrolyzer/Dockerfile"]);
        Assert.Equal("certificates", built["src/ThermalPlant.Cli/Dockerfile"]);
    }

    [Fact]
    public async Task Prometheus_configuration_and_alert_rules_pass_promtool()
    {
        var promtool = PeerPrograms.Require("promtool", "scripts/test installs it (apt-get install prometheus)", "/usr/bin/promtool");
        var (configExit, configOutput) = await ManagedProcess.RunAsync(promtool, ["check", "config", RepositoryPaths.Combine("prometheus", "prometheus.yml")], Timeout);
        Assert.True(configExit == 0, configOutput);
        var rules = Directory.GetFiles(RepositoryPaths.Combine("prometheus", "rules"), "*.yml");
        var (rulesExit, rulesOutput) = await ManagedProcess.RunAsync(promtool, ["check", "rules", .. rules], Timeout);
        Assert.True(rulesExit == 0, rulesOutput);
    }

    private static async Task<string> WriteEnvFile(string? without = null)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("thermalplant-env-").FullName, "test.env");
        await File.WriteAllLinesAsync(path, Secrets.Where(s => s.Key != without).Select(s => $"{s.Key}={s.Value}"));
        return path;
    }

    // COPY lines that take files from the build context (not --from=stage).
    [GeneratedRegex(@"^COPY\s+(?!--from)(?<args>.+)$")]
    private static partial Regex CopyLine();
}
