using System.Security.Cryptography.X509Certificates;
using ThermalPlant.OpcUa.Security;
using ThermalPlant.OpcUa.Server;
using ThermalPlant.OpcUa.Server.Users;
using ThermalPlant.Scraper.Sources.OpcUa;
using ThermalPlant.Testing;

namespace ThermalPlant.Scraper.Tests;

/// <summary>The scraper logs in to an OPC UA server that refuses anonymous sessions, as the production profile runs it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class UserLoginTests(PostgresFixture postgres) : IDisposable
{
    private static readonly X509Certificate2 ServerCertificate = TestCertificates.Create("plant");
    private readonly TempDirectory _data = new("thermalplant-scraper-");

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task With_its_user_name_and_password_the_scraper_subscribes_and_stores_what_an_observer_may_read()
    {
        var database = await postgres.Server.CreateDatabaseAsync();
        await using var plant = await PlantServer.StartAsync(new OpcUaServerOptions
        {
            ApplicationCertificate = ServerCertificate,
            Users = new UserAuthenticationOptions
            {
                AllowAnonymous = false,
                Users = [new UserAccount { Name = "scraper", Role = "Observer", PasswordHash = PasswordHash.Create("scraper-pass", PasswordHash.MinIterations) }],
            },
        });
        plant.StartProducing();
        await using var scraper = await ScraperRun.StartAsync(database, _data.Path, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OpcUa:Endpoints:0:Url"] = plant.Url,
            ["OpcUa:Endpoints:0:UserName"] = "scraper",
            ["OpcUa:Endpoints:0:Password"] = "scraper-pass",
            ["OpcUa:Endpoints:0:PublishingInterval"] = "00:00:00.200",
        });

        var expectedTags = PlantServer.Numeric.Sum(n => Math.Max(1, n.Elements));
        await Stored.EventuallyAsync(async () => (await Stored.PerNodeAsync(database, plant.Url)).Count(t => t.Value.Rows > 0) == expectedTags, TimeSpan.FromSeconds(60),
            async () => $"stored tags: {string.Join(", ", (await Stored.PerNodeAsync(database, plant.Url)).Keys)}");
    }

    [Fact]
    public void A_user_name_without_a_password_is_a_configuration_error()
    {
        var errors = new List<string>();
        new OpcUaEndpointOptions { Url = "opc.tcp://127.0.0.1:4840/", UserName = "scraper" }.Validate("Scraper:OpcUa:Endpoints:0", errors);

        Assert.Contains(errors, e => e.StartsWith("Scraper:OpcUa:Endpoints:0:UserName and", StringComparison.Ordinal));
    }
}
