using ThermalPlant.Hosting;
using ThermalPlant.StorageWriter;

return await ServiceRunner.RunAsync(WriterHost.Create(args));
