using Microsoft.Extensions.Options;
using ThermalPlant.Analytics.Service.Engine;
using ThermalPlant.Analytics.Service.Sources;

namespace ThermalPlant.Analytics.Service.Tests;

/// <summary>The service's settings are checked as a whole at start, each mistake named by its full key.</summary>
public sealed class AnalyticsOptionsTests
{
    private static AnalyticsOptions Valid() => new()
    {
        Sources = [new AnalyticsEndpointOptions { Url = "opc.tcp://127.0.0.1:4840/freeopcua/server/" }],
    };

    private static List<string> Errors(AnalyticsOptions options)
    {
        var errors = new List<string>();
        options.Validate(AnalyticsOptions.Section, errors);
        return errors;
    }

    [Fact]
    public void The_defaults_with_one_source_are_valid()
    {
        Assert.Empty(Errors(Valid()));
    }

    [Fact]
    public void Without_a_source_nothing_would_be_analysed()
    {
        Assert.Contains("Analytics:Sources must list at least one endpoint to analyse", Errors(new AnalyticsOptions()));
    }

    public static TheoryData<string, Action<AnalyticsOptions>> Mistakes => new()
    {
        { "Analytics:Sources:0:Url must be an opc.tcp:// URL", o => o.Sources[0].Url = "http://127.0.0.1:4840/" },
        { "Analytics:Sources:0:Root must be a browse path", o => o.Sources[0].Root = "/" },
        { "Analytics:Sources:0:Prefix must be empty or a path without '.'", o => o.Sources[0].Prefix = "Site.2" },
        { "Analytics:Sources:0:PublishingInterval must be between 10 ms and 1 hour", o => o.Sources[0].PublishingInterval = TimeSpan.FromMilliseconds(1) },
        { "Analytics:Sources:0:QueueSize must be between 1 and 100000", o => o.Sources[0].QueueSize = 0 },
        { "Analytics:Sources:0:MaxVariables must be between 1 and 1000000", o => o.Sources[0].MaxVariables = 0 },
        { "Analytics:Sources:0:ReconnectMaxDelay must be at least ReconnectMinDelay", o => o.Sources[0].ReconnectMaxDelay = TimeSpan.FromMilliseconds(10) },
        { "Analytics:Sources:0:SecurityPolicy must be one of", o => o.Sources[0].SecurityPolicy = "Basic128" },
        { "Analytics:Sources:0:UserName and Analytics:Sources:0:Password go together", o => o.Sources[0].UserName = "analytics" },
        { "Analytics:Sources:1: opc.tcp://127.0.0.1:4840/freeopcua/server/ with Root Objects/Plant is configured twice", o => o.Sources.Add(new AnalyticsEndpointOptions { Url = o.Sources[0].Url }) },
        { "Analytics:DetectorName must be one of default,", o => o.DetectorName = "prophet" },
        { "Analytics:Detector:LearningSamples is out of range", o => o.Detector = o.Detector with { LearningSamples = 1 } },
        { "Analytics:Diagnosis:Bearing:FaultOrders must list 1 to 16 orders", o => o.Diagnosis.Bearing.FaultOrders = [] },
        { "Analytics:Diagnosis:Spectrum:Bands must be between 1 and 1024", o => o.Diagnosis.Spectrum.Bands = 0 },
        { "Analytics:Plant:ShaftSpeed must be a tag path", o => o.Plant.ShaftSpeed = "" },
        { "Analytics:Port must be 0-65535", o => o.Port = 70000 },
        { "Analytics:ListenAddress must be an IP address", o => o.ListenAddress = "everywhere" },
        { "Analytics:EndpointPath must start with '/'", o => o.EndpointPath = "analytics" },
        { "Analytics:StateSaveInterval must be at least 1 s", o => o.StateSaveInterval = TimeSpan.Zero },
        { "Analytics:HistoryCapacity must be at least 1", o => o.HistoryCapacity = 0 },
        { "Analytics:SecurityPolicies must name a policy when AllowSecurityNone is false", o => o.AllowSecurityNone = false },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Each_mistake_is_reported_with_its_key(string expected, Action<AnalyticsOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = Valid();
        spoil(options);
        var errors = Errors(options);
        Assert.True(errors.Any(e => e.StartsWith(expected, StringComparison.Ordinal)), $"expected '{expected}...', got: {string.Join(" | ", errors)}");
    }

    private static AnalyticsOptions ValidNats() => new()
    {
        Source = AnalyticsSourceKind.Nats,
        Nats = new AnalyticsNatsOptions { Url = "nats://127.0.0.1:4222,nats://127.0.0.1:4223", Sites = ["plant01"] },
    };

    [Fact]
    public void Reading_the_nats_stream_needs_no_opc_ua_source_and_names_tags_as_over_opc_ua()
    {
        Assert.Empty(Errors(ValidNats()));
        Assert.Equal("Plant/Audio/MFCC/Coefficient_0", ValidNats().Nats.TagPath("plant01", "Audio", "MFCC.Coefficient_0"));
        var sites = ValidNats().Nats;
        sites.PathPrefix = "{site}/Plant";
        Assert.Equal("plant02/Plant/rpm/mainshaft", sites.TagPath("plant02", "rpm", "mainshaft"));
        Assert.Equal("analytics_plant01", sites.ConsumerName("plant01"));
    }

    [Fact]
    public void The_plant_signals_are_found_under_the_lower_case_names_the_scrapers_publish_to_the_stream()
    {
        // The scraper's default naming (LowerCaseNames) of the plant server's tree, as the NATS source turns it into paths.
        var nats = ValidNats().Nats;
        var plant = new AnalyticsOptions().Plant;
        Assert.Equal((PlantSignal.UpperTemperature, 0), plant.Classify(nats.TagPath("plant01", "temperature", "upper")));
        Assert.Equal((PlantSignal.LowerTemperature, 0), plant.Classify(nats.TagPath("plant01", "temperature", "lower")));
        Assert.Equal((PlantSignal.ShaftSpeed, 0), plant.Classify(nats.TagPath("plant01", "rpm", "mainshaft")));
        Assert.Equal((PlantSignal.SupplyVoltage, 0), plant.Classify(nats.TagPath("plant01", "voltage", "mainsupply")));
        Assert.Equal((PlantSignal.SpectrumBand, 12), plant.Classify(nats.TagPath("plant01", "audio", "spectrum.band_12")));
        Assert.Equal((PlantSignal.UpperTemperature, 0), plant.Classify("Plant/Temperature/Upper"));
        Assert.Equal((PlantSignal.None, 0), plant.Classify(nats.TagPath("plant01", "temperature", "middle")));
    }

    public static TheoryData<string, Action<AnalyticsOptions>> NatsMistakes => new()
    {
        { "Analytics:Nats:Url must be one or more comma-separated nats://host:port URLs", o => o.Nats.Url = "http://127.0.0.1:4222" },
        { "Analytics:Nats:Sites must list at least one site", o => o.Nats.Sites.Clear() },
        { "Analytics:Nats:Sites:1 must be a site name", o => o.Nats.Sites.Add("plant.02") },
        { "Analytics:Nats:Sites:1: site 'plant01' is listed twice", o => o.Nats.Sites.Add("plant01") },
        { "Analytics:Nats:PathPrefix must hold {site} when several sites are analysed", o => o.Nats.Sites.Add("plant02") },
        { "Analytics:Nats:PathPrefix must be a tag path", o => o.Nats.PathPrefix = "/Plant" },
        { "Analytics:Nats:Consumer must be a name without '_'", o => o.Nats.Consumer = "my_analytics" },
        { "Analytics:Nats:FetchWait must be at least 1 second and below AckWait", o => o.Nats.AckWait = o.Nats.FetchWait },
        { "Analytics:Nats:FetchMessages must be between 1 and 1000", o => o.Nats.FetchMessages = 0 },
        { "Analytics:Nats:MaxVariables must be between 1 and 1000000", o => o.Nats.MaxVariables = 0 },
        { "Analytics:Nats:RetryMaxDelay must be at least RetryMinDelay", o => o.Nats.RetryMaxDelay = TimeSpan.FromMilliseconds(1) },
    };

    [Theory]
    [MemberData(nameof(NatsMistakes))]
    public void Each_mistake_of_the_nats_source_is_reported_with_its_key(string expected, Action<AnalyticsOptions> spoil)
    {
        ArgumentNullException.ThrowIfNull(spoil);
        var options = ValidNats();
        spoil(options);
        var errors = Errors(options);
        Assert.True(errors.Any(e => e.StartsWith(expected, StringComparison.Ordinal)), $"expected '{expected}...', got: {string.Join(" | ", errors)}");
    }

    [Fact]
    public async Task The_host_does_not_start_with_invalid_settings_and_names_every_bad_key()
    {
        await using var app = AnalyticsHost.Create(
        [
            "--urls=http://127.0.0.1:0",
            "--Serilog:MinimumLevel:Default=Warning",
            "--Analytics:Sources:0:Url=http://not-opc/",
            "--Analytics:Port=0",
            "--Analytics:Detector:FastWindow=1",
            "--Analytics:StatePath=",
            "--Analytics:HistoryPath=",
        ]);
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains(failure.Failures, f => f.StartsWith("Analytics:Sources:0:Url must be an opc.tcp:// URL", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.StartsWith("Analytics:Detector:FastWindow is out of range", StringComparison.Ordinal));
    }
}
