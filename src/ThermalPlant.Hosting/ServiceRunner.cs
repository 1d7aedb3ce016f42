using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using Serilog;

namespace ThermalPlant.Hosting;

/// <summary>Runs a host and turns a failed start into one clear log line and a non-zero exit code.</summary>
public static class ServiceRunner
{
    /// <summary>
    /// Runs <paramref name="app"/> until shutdown; returns 0, or 1 when the start failed (e.g. invalid options, naming the
    /// keys). The log buffer (<see cref="LogBuffer"/>) is written out before it returns, however the host ended.
    /// </summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            using var log = new LoggerConfiguration().WriteTo.Console().CreateLogger();
            foreach (var failure in ex.Failures)
            {
                log.Fatal("Invalid configuration: {Failure}. The service does not start; fix the setting and start again", failure);
            }
            return 1;
        }
        finally
        {
            // The host's disposal closes the logger as well (Serilog's AddSerilog); this covers a host that did not get that far.
            await Log.CloseAndFlushAsync();
        }
    }
}
