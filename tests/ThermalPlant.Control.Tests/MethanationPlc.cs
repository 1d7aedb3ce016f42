using ThermalPlant.Electrolyzer.Simulation;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.Testing;

namespace ThermalPlant.Control.Tests;

/// <summary>The methanation PLC the control link's OPC UA source reads in these tests: on loopback, with one user.</summary>
internal static class MethanationPlc
{
    /// <summary>The user the PLC knows, with role Observer.</summary>
    public const string UserName = "bridge";

    /// <summary>Its password.</summary>
    public const string Password = "plc-pass";

    /// <summary>Options of a PLC on a free loopback port requesting 16.7 NL/min, where only <see cref="UserName"/> may log in.</summary>
    public static MethanationOptions Options() => new()
    {
        Address = "127.0.0.1",
        Port = PeerPrograms.FreePort(),
        HostName = "127.0.0.1",
        InitialRequest = 16.7,
        Users = new UserSettings
        {
            Enabled = true,
            AllowAnonymous = false,
            Accounts = { [UserName] = new AccountSettings { Role = "Observer", PasswordHash = PasswordHash.Create(Password, PasswordHash.MinIterations) } },
        },
    };
}
