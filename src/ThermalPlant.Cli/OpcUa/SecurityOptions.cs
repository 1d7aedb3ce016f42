using System.CommandLine;
using ThermalPlant.OpcUa.Client;
using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>--security-policy NAME</c>, <c>--security-mode MODE</c>, <c>--store DIR</c> and <c>--no-host-name-check</c> on
/// every <c>opcua</c> command that connects (<see cref="AddTo"/>): the endpoint to select, the command line's own
/// certificate store, in which its certificate is created on first use and the servers it trusts are kept, and whether
/// the server's certificate must name the host connected to.
/// </summary>
internal sealed class SecurityOptions
{
    /// <summary>The per-user store used without <c>--store</c> (~/.local/share/thermalplant/pki on Linux).</summary>
    public static string DefaultStore { get; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "thermalplant", "pki");

    /// <summary>The policy by its short name.</summary>
    public Option<string> Policy { get; } = new("--security-policy")
    {
        Description = $"Security policy of the endpoint: {string.Join(", ", SecurityPolicies.Names)}",
        DefaultValueFactory = _ => "None",
    };

    /// <summary>The mode; without it, SignAndEncrypt for a policy other than None.</summary>
    public Option<MessageSecurityMode?> Mode { get; } = new("--security-mode")
    {
        Description = "Sign, SignAndEncrypt or None (default: SignAndEncrypt with a policy other than None, else None)",
        HelpName = "Sign|SignAndEncrypt|None",
    };

    /// <summary>The command line's certificate store.</summary>
    public Option<string> Store { get; } = new("--store")
    {
        Description = "The command line's certificate store (own, trusted, rejected), created on first use",
        DefaultValueFactory = _ => DefaultStore,
    };

    /// <summary>Skips the check that the server's certificate names the host of the URL (a server reached by another name).</summary>
    public Option<bool> NoHostNameCheck { get; } = new("--no-host-name-check")
    {
        Description = "Accept a server certificate that names another host than the URL's (a trusted server reached through an address or name its certificate does not list)",
    };

    /// <summary>
    /// Adds the options to <paramref name="command"/>, one that connects. They are not recursive on <c>opcua</c>:
    /// <c>opcua certificates</c> has a <c>--store</c> of its own, the store it manages.
    /// </summary>
    public Command AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Policy);
        command.Options.Add(Mode);
        command.Options.Add(Store);
        command.Options.Add(NoHostNameCheck);
        return command;
    }

    /// <summary>
    /// The client options the command line asks for, logging in with <paramref name="credentials"/>; a policy this
    /// stack does not implement, or a mode that does not go with it, is a FormatException (a usage error).
    /// </summary>
    public OpcUaClientOptions ClientOptions(ParseResult result, UserCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(result);
        var name = result.GetValue(Policy)!;
        if (!SecurityPolicies.TryFromName(name, out var policy))
        {
            throw new FormatException($"--security-policy {name} is not one of {string.Join(", ", SecurityPolicies.Names)}");
        }
        var mode = result.GetValue(Mode) ?? (policy.IsNone ? MessageSecurityMode.None : MessageSecurityMode.SignAndEncrypt);
        if (!new EndpointSecurity(policy.Uri, mode).IsConsistent)
        {
            throw new FormatException($"--security-mode {mode} does not go with --security-policy {name} (None goes with None, the others with Sign or SignAndEncrypt)");
        }
        var settings = new ClientSecuritySettings(name, mode, result.GetValue(Store), CheckServerHostName: !result.GetValue(NoHostNameCheck));
        var options = new OpcUaClientOptions { ApplicationName = "Thermal Plant command line", ApplicationUri = "urn:thermalplant:cli" };
        return settings.ApplyTo(options) with { Credentials = credentials };
    }
}
