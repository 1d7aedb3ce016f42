using ThermalPlant.Hosting;
using ThermalPlant.OpcServer;
using ThermalPlant.OpcUa.Transport;

// Before any socket exists: the runtime reads the choice when the process's first socket is registered with it.
if (SocketCompletions.PreferInline() is { } refused)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {refused}. The service does not start; fix the setting and start again");
    return 1;
}
return await ServiceRunner.RunAsync(OpcServerHost.Create(args));
