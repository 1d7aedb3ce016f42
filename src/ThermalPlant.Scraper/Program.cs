using ThermalPlant.Hosting;
using ThermalPlant.Scraper;

return await ServiceRunner.RunAsync(ScraperHost.Create(args));
