using ThermalPlant.Bridge;
using ThermalPlant.Hosting;

return await ServiceRunner.RunAsync(BridgeHost.Create(args));
