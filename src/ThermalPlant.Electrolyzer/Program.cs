using ThermalPlant.Electrolyzer;
using ThermalPlant.Hosting;

return await ServiceRunner.RunAsync(ElectrolyzerHost.Create(args));
