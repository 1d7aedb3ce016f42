using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;

namespace ThermalPlant.Scraper.Transport;

/// <summary>Registers the part that takes the queue's batches, by <c>Scraper:Transport</c>.</summary>
internal static class TransportRegistration
{
    /// <summary>
    /// Direct: the database writers of samples and events (with the schema, maintainers and the wide-row sink), and
    /// back-fills start from what the database holds. Nats: the JetStream publishers of samples and events, and
    /// back-fills start from what JetStream acknowledged (docs/nats-cluster.md).
    /// </summary>
    public static IServiceCollection AddSampleTransport(this IServiceCollection services, TransportKind transport)
    {
        if (transport == TransportKind.Nats)
        {
            services.AddSingleton<PublishedTimestamps>();
            services.AddSingleton<IStoredTimestamps>(sp => sp.GetRequiredService<PublishedTimestamps>());
            services.AddHostedService<NatsPublisher>();
            services.AddHostedService<NatsEventPublisher>();
            // Replaces the database lookup registered by the host: the event back-fill starts from what JetStream acknowledged.
            services.AddSingleton(sp => new StoredEvents(sp.GetRequiredService<PublishedTimestamps>()));
            return services;
        }
        services.AddSingleton<IStoredTimestamps, StoredTimestamps>();
        services.AddHostedService<StorageService>();
        services.AddHostedService<EventStorageService>();
        services.AddHostedService<WideRowService>();
        return services;
    }
}
