using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.OpcUa.Types;
using ThermalPlant.Testing;

namespace ThermalPlant.OpcUa.Tests.Users;

/// <summary>Password checks run a bounded number at a time, and a name with too many wrong passwords is refused for a while without one.</summary>
public sealed class PasswordCheckLimitTests : IAsyncLifetime
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("server", "urn:thermalplant:opcserver");
    private static readonly string OperatorHash = PasswordHash.Create("op-pass", 100_000);

    private readonly ConcurrentQueue<AccessDenied> _denied = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private OpcUaServer? _server;
    private RawSessionClient? _client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task The_gate_runs_at_most_its_bound_queues_the_next_and_refuses_the_rest_without_running_them()
    {
        using var gate = new PasswordCheckGate(maxConcurrent: 2, maxQueued: 1);
        using var release = new ManualResetEventSlim();
        var ran = 0;
        bool Check()
        {
            Interlocked.Increment(ref ran);
            return release.Wait(TimeSpan.FromSeconds(30));
        }

        Task<bool> Start() => Task.Run(() => gate.RunAsync(Check, CancellationToken.None));
        var running = new[] { Start(), Start() };
        await Until(() => gate.Running == 2);
        var queued = Start();
        await Until(() => gate.Waiting == 1);

        var refused = await Assert.ThrowsAsync<OpcUaException>(() => gate.RunAsync(Check, CancellationToken.None));
        Assert.Equal(StatusCodes.BadServerTooBusy, refused.Status.Code);
        Assert.Equal(2, Volatile.Read(ref ran));

        release.Set();
        Assert.All(await Task.WhenAll([.. running, queued]), Assert.True);
        Assert.Equal((2, 3L, 0, 0), (gate.PeakRunning, gate.Completed, gate.Running, gate.Waiting));
    }

    [Fact]
    public void Wrong_passwords_lock_a_name_only_when_they_fall_within_the_window_and_only_for_the_duration()
    {
        var lockout = new FailedLoginLockout(threshold: 3, window: TimeSpan.FromMinutes(1), duration: TimeSpan.FromMinutes(5), _time);
        lockout.Failed("operator");
        lockout.Failed("operator");
        _time.Advance(TimeSpan.FromSeconds(61));
        lockout.Failed("operator");
        lockout.Failed("operator");
        Assert.Null(lockout.LockedUntil("operator"));

        lockout.Failed("operator");

        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), lockout.LockedUntil("operator"));
        Assert.Null(lockout.LockedUntil("observer"));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(lockout.LockedUntil("operator"));
    }

    [Fact]
    public void A_good_login_forgets_the_wrong_passwords_before_it()
    {
        var lockout = new FailedLoginLockout(threshold: 2, window: TimeSpan.FromMinutes(1), duration: TimeSpan.FromMinutes(5), _time);
        lockout.Failed("operator");
        lockout.Succeeded("operator");
        lockout.Failed("operator");

        Assert.Null(lockout.LockedUntil("operator"));
    }

    [Fact]
    public async Task A_burst_of_password_logins_runs_one_check_at_a_time_and_refuses_the_overflow_with_BadServerTooBusy_without_hashing()
    {
        var server = await Start(new UserAuthenticationOptions { Users = Operator(), MaxConcurrentPasswordChecks = 1, MaxQueuedPasswordChecks = 1 });
        var sessions = new List<RawSession>();
        for (var i = 0; i < 10; i++) sessions.Add(await _client!.CreateSessionAsync());

        var results = await Task.WhenAll(sessions.Select(s => _client!.ActivateAsync(s, UserCredentials.FromUserName("operator", "op-pass"))));

        Assert.All(results, r => Assert.True(r is 0 or StatusCodes.BadServerTooBusy, $"0x{r:X8}"));
        Assert.Contains(0u, results);
        Assert.Equal(1, server.PasswordChecks.PeakRunning);
        Assert.Equal(results.Count(r => r == 0), server.PasswordChecks.Completed);
        Assert.Equal(results.Count(r => r == StatusCodes.BadServerTooBusy), _denied.Count(d => d.Status.Code == StatusCodes.BadServerTooBusy && d.UserName == "operator"));
    }

    [Fact]
    public async Task After_three_wrong_passwords_a_name_is_refused_without_a_check_until_the_lockout_ends_and_unknown_names_alike()
    {
        var server = await Start(new UserAuthenticationOptions { Users = Operator(), LockoutThreshold = 3, LockoutDuration = TimeSpan.FromMinutes(5) });
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(StatusCodes.BadUserAccessDenied, await Login("operator", "nope"));
            Assert.Equal(StatusCodes.BadUserAccessDenied, await Login("mallory", "nope"));
        }
        var checks = server.PasswordChecks.Completed;

        Assert.Equal(StatusCodes.BadUserAccessDenied, await Login("operator", "op-pass"));
        Assert.Contains("locked until", _denied.Last().Reason, StringComparison.Ordinal);
        Assert.Equal(StatusCodes.BadUserAccessDenied, await Login("mallory", "nope"));
        Assert.Contains("locked until", _denied.Last().Reason, StringComparison.Ordinal);
        Assert.Equal(checks, server.PasswordChecks.Completed);

        _time.Advance(TimeSpan.FromMinutes(5));
        // Five minutes without an activated session close the connection (SessionActivationTimeout): the user reconnects.
        await _client!.DisposeAsync();
        _client = await RawSessionClient.OpenAsync($"opc.tcp://127.0.0.1:{server.Port}/", ServerCertificate, null);
        Assert.Equal(0u, await Login("operator", "op-pass"));
    }

    private static UserAccount[] Operator() => [new UserAccount { Name = "operator", Role = "Operator", PasswordHash = OperatorHash }];

    private static async Task Until(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(10, deadline.Token);
    }

    private async Task<uint> Login(string user, string password)
    {
        var session = await _client!.CreateSessionAsync();
        return await _client.ActivateAsync(session, UserCredentials.FromUserName(user, password));
    }

    private async Task<OpcUaServer> Start(UserAuthenticationOptions users)
    {
        _server = new OpcUaServer(new OpcUaServerOptions { Address = IPAddress.Loopback, Port = 0, HostName = "127.0.0.1", ApplicationCertificate = ServerCertificate, Users = users }, _time);
        _server.AccessDenied += _denied.Enqueue;
        _server.Start();
        _client = await RawSessionClient.OpenAsync($"opc.tcp://127.0.0.1:{_server.Port}/", ServerCertificate, null);
        return _server;
    }
}
