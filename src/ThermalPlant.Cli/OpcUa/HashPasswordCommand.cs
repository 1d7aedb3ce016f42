using System.CommandLine;
using ThermalPlant.OpcUa.Security;

namespace ThermalPlant.Cli.OpcUa;

/// <summary>
/// <c>thermalplant opcua hash-password [PASSWORD] [--iterations N]</c>: prints the PBKDF2 hash to put in a user's
/// PasswordHash. Without the argument the password is read from the first line of standard input, so that it stays
/// out of the shell history and the process list.
/// </summary>
internal static class HashPasswordCommand
{
    public static Command Create(TextReader input, TextWriter output, TextWriter error)
    {
        var password = new Argument<string?>("password") { Description = "The password (default: read from standard input)", Arity = ArgumentArity.ZeroOrOne };
        var iterations = new Option<int>("--iterations") { Description = "PBKDF2 iterations", DefaultValueFactory = _ => PasswordHash.DefaultIterations };
        var command = new Command("hash-password", "Hash a password for an OPC UA user in the configuration (PBKDF2-SHA256, salted)") { password, iterations };
        command.SetAction(async (result, cancel) =>
        {
            var count = result.GetValue(iterations);
            if (count is < PasswordHash.MinIterations or > PasswordHash.MaxIterations)
            {
                await error.WriteLineAsync($"error: --iterations must be between {PasswordHash.MinIterations} and {PasswordHash.MaxIterations}");
                return 2;
            }
            var secret = result.GetValue(password) ?? await input.ReadLineAsync(cancel);
            if (string.IsNullOrEmpty(secret))
            {
                await error.WriteLineAsync("error: no password given (argument or first line of standard input)");
                return 2;
            }
            await output.WriteLineAsync(PasswordHash.Create(secret, count));
            return 0;
        });
        return command;
    }
}
