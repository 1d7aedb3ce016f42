using ThermalPlant.Analytics.Service;
using ThermalPlant.Hosting;

return await ServiceRunner.RunAsync(AnalyticsHost.Create(args));
