using System.Net;
using ThermalPlant.Hosting;
using ThermalPlant.OpcUa.Server;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>
/// The simulated methanation unit's OPC UA server (section <c>Methanation</c>), with the security keys of the OPC UA
/// server service (users, policies, modes, certificate store). The defaults offer None only and keep no store, as the
/// local stack expects; a user login then gets a certificate made at start.
/// </summary>
public sealed class MethanationOptions() : ServerSecuritySettings(""), IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Methanation";

    /// <summary>Whether the methanation unit runs in this process.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address the OPC UA server listens on.</summary>
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>OPC UA port (0 picks a free one).</summary>
    public int Port { get; set; } = 4841;

    /// <summary>Host name in the endpoint URL clients are given.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>The requested hydrogen flow at start, NL/min.</summary>
    public double InitialRequest { get; set; } = 7.5;

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!Enabled) return;
        if (!IPAddress.TryParse(Address, out _)) errors.Add($"{sectionPath}:Address must be an IP address, found '{Address}'");
        if (Port is < 0 or > 65535) errors.Add($"{sectionPath}:Port must be between 0 and 65535");
        if (string.IsNullOrWhiteSpace(HostName)) errors.Add($"{sectionPath}:HostName must not be empty");
        if (!double.IsFinite(InitialRequest) || InitialRequest < 0) errors.Add($"{sectionPath}:InitialRequest must be a non-negative number");
        ValidateSecurity(sectionPath, errors);
    }
}
