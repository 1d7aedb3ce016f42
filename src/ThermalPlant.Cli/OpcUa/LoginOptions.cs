using System.CommandLine;
using ThermalPlant.OpcUa.Client;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>--user NAME</c> on every <c>opcua</c> command that connects, with the password from the THERMALPLANT_OPCUA_PASSWORD
/// environment variable, never from the command line where other users of the machine could read it.
/// </summary>
internal sealed class LoginOptions(Func<string, string?> environment)
{
    /// <summary>The environment variable holding the password of <c>--user</c>.</summary>
    public const string PasswordVariable = "THERMALPLANT_OPCUA_PASSWORD";

    /// <summary>The option, added to each command that connects (not to <c>hash-password</c> or <c>certificates</c>).</summary>
    public Option<string?> User { get; } = new("--user") { Description = $"Log in as this user (password from ${PasswordVariable}); anonymous without it" };

    /// <summary>The credentials the command line asks for; a missing password is a FormatException.</summary>
    public UserCredentials From(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.GetValue(User) is not { Length: > 0 } user) return UserCredentials.Anonymous;
        var password = environment(PasswordVariable) ?? throw new FormatException($"--user {user} needs the password in ${PasswordVariable}");
        return UserCredentials.FromUserName(user, password);
    }
}
