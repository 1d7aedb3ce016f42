using ThermalPlant.Hosting;
using ThermalPlant.OpcServer;

return await ServiceRunner.RunAsync(OpcServerHost.Create(args));
