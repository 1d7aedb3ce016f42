using ThermalPlant.Hosting;
using ThermalPlant.Scraper.Delivery;
using ThermalPlant.Scraper.Events;
using ThermalPlant.Scraper.Sources.Modbus;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Scraper.Transport;

namespace ThermalPlant.Scraper;

/// <summary>The scraper's configuration (section <c>Scraper</c>), checked as a whole when the host starts.</summary>
public sealed class ScraperOptions : IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Scraper";

    /// <summary>Where samples are stored (with the direct transport).</summary>
    public DatabaseOptions Database { get; set; } = new();

    /// <summary>Where samples go: <see cref="TransportKind.Direct"/> into <see cref="Database"/>, or <see cref="TransportKind.Nats"/> to a JetStream stream.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Direct;

    /// <summary>The NATS transport's settings.</summary>
    public NatsTransportOptions Nats { get; set; } = new();

    /// <summary>The queue between the sources and the database, and its spill file.</summary>
    public StorageOptions Storage { get; set; } = new();

    /// <summary>The queue between the event subscriptions and the <c>events</c> table.</summary>
    public EventStorageOptions Events { get; set; } = new();

    /// <summary>The OPC UA endpoints collected.</summary>
    public OpcUaSourcesOptions OpcUa { get; set; } = new();

    /// <summary>The Modbus TCP devices polled.</summary>
    public ModbusSourcesOptions Modbus { get; set; } = new();

    /// <summary>The optional wide-row table written next to <c>sensor_data</c>.</summary>
    public WideRowOptions WideRow { get; set; } = new();

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Transport == TransportKind.Nats)
        {
            Nats.Validate($"{sectionPath}:Nats", errors);
            if (WideRow.Enabled) errors.Add($"{sectionPath}:WideRow needs the database: it works with Transport Direct only");
        }
        else if (Transport == TransportKind.Direct)
        {
            Database.Validate($"{sectionPath}:Database", errors);
        }
        else
        {
            errors.Add($"{sectionPath}:Transport must be Direct or Nats");
        }
        Storage.Validate($"{sectionPath}:Storage", errors);
        Events.Validate($"{sectionPath}:Events", errors);
        var endpoints = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < OpcUa.Endpoints.Count; i++)
        {
            var key = $"{sectionPath}:OpcUa:Endpoints:{i}";
            OpcUa.Endpoints[i].Validate(key, errors);
            if (!endpoints.Add(OpcUa.Endpoints[i].Url)) errors.Add($"{key}:Url '{OpcUa.Endpoints[i].Url}' is configured twice");
        }
        var devices = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Modbus.Devices.Count; i++)
        {
            var key = $"{sectionPath}:Modbus:Devices:{i}";
            Modbus.Devices[i].Validate(key, errors);
            if (!devices.Add(Modbus.Devices[i].Name)) errors.Add($"{key}:Name '{Modbus.Devices[i].Name}' is used by another device");
        }
        WideRow.Validate($"{sectionPath}:WideRow", errors);
    }
}

/// <summary>The OPC UA endpoints (section <c>Scraper:OpcUa</c>).</summary>
public sealed class OpcUaSourcesOptions
{
    /// <summary>Each endpoint is collected over its own connection, supervised on its own.</summary>
    public IList<OpcUaEndpointOptions> Endpoints { get; set; } = [];
}

/// <summary>The Modbus devices (section <c>Scraper:Modbus</c>).</summary>
public sealed class ModbusSourcesOptions
{
    /// <summary>Each device is polled over its own connection at its own rate.</summary>
    public IList<ModbusDeviceOptions> Devices { get; set; } = [];
}
