using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;

namespace ThermalPlant.Scraper.Transport;

/// <summary>Registers the part that takes the queue's batches, by <c>Scraper:Transport</c>.</summary>
internal static class TransportRegistration
{
    /// <summary>
    /// Direct: the database writer (with its schema, maintainers and the wide-row sink), and back-fills start from what
    /// the database holds. Nats: the JetStream publisher, and back-fills start from what JetStream acknowledged;
    /// events are not carried over NATS yet, so with Nats no endpoint collects them (docs/nats-cluster.md).
    /// </summary>
    public static IServiceCollection AddSampleTransport(this IServiceCollection services, TransportKind transport)
    {
        if (transport == TransportKind.Nats)
        {
            services.AddSingleton<PublishedTimestamps>();
            services.AddSingleton<IStoredTimestamps>(sp => sp.GetRequiredService<PublishedTimestamps>());
            services.AddHostedService<NatsPublisher>();
            services.PostConfigure<ScraperOptions>(options =>
            {
                foreach (var endpoint in options.OpcUa.Endpoints) endpoint.Events = false;
            });
            return services;
        }
        services.AddSingleton<IStoredTimestamps, StoredTimestamps>();
        services.AddHostedService<StorageService>();
        services.AddHostedService<EventStorageService>();
        services.AddHostedService<WideRowService>();
        return services;
    }
}
