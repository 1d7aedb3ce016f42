using ThermalPlant.Hosting;
using ThermalPlant.Sensors;

return await ServiceRunner.RunAsync(SensorsHost.Create(args));
