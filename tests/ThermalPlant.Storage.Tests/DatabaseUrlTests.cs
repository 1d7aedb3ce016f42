using Npgsql;

namespace ThermalPlant.Storage.Tests;

public sealed class DatabaseUrlTests
{
    [Fact]
    public void A_postgres_url_becomes_a_connection_string_with_escapes_undone()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString(
            "postgresql://scraper:p%40ss%3Aword@db.plant.local:5433/thermal%20plant?sslmode=require&application_name=scraper"));
        Assert.Equal("db.plant.local", builder.Host);
        Assert.Equal(5433, builder.Port);
        Assert.Equal("scraper", builder.Username);
        Assert.Equal("p@ss:word", builder.Password);
        Assert.Equal("thermal plant", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal("scraper", builder.ApplicationName);
    }

    [Fact]
    public void A_url_without_port_user_or_database_keeps_the_defaults()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("postgres://localhost"));
        Assert.Equal("localhost", builder.Host);
        Assert.Equal(NpgsqlConnection.DefaultPort, builder.Port);
        Assert.Null(builder.Username);
        Assert.Null(builder.Database);
    }

    [Fact]
    public void A_connection_string_passes_through_and_nonsense_is_a_format_error()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("Host=127.0.0.1;Port=6000;Database=plant"));
        Assert.Equal(6000, builder.Port);
        Assert.Equal("plant", builder.Database);
        Assert.Throws<FormatException>(() => DatabaseUrl.ToConnectionString("Hots=127.0.0.1"));
        Assert.Throws<FormatException>(() => DatabaseUrl.ToConnectionString("postgres://host/db?no_such_keyword=1"));
    }

    private const string Secret = "S3cr3t-pw";

    [Theory]
    [InlineData("Host=db;Username=u;Password=S3cr3t-pw;Port=notaport")]
    [InlineData("Host=db;Username=u;Password=S3cr3t-pw;Hots=db")]
    [InlineData("Host=db;Password=S3cr3t-pw;SSL Mode=sometimes")]
    [InlineData("Password=S3cr3t-pw;Host")]
    [InlineData("postgres://u:S3cr3t-pw@db:notaport/plant")]
    [InlineData("postgres://u:S3cr3t-pw@db/plant?sslmode=sometimes")]
    [InlineData("postgres://u:S3cr3t-pw@db/plant?no_such_keyword=1")]
    [InlineData("postgres://u:S3cr3t-pw@db/plant?timeout=S3cr3t-pw")]
    [InlineData("postgres://u:S3cr3t-pw@/plant")]
    [InlineData("postgres://u:S3cr3t-pw#@db/plant")]
    [InlineData("postgres://u:S3cr3t-pw@db:99999/plant")]
    public void An_invalid_address_is_a_format_error_that_never_shows_the_password(string value)
    {
        var error = Assert.Throws<FormatException>(() => DatabaseUrl.ToConnectionString(value));
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_percent_encoded_password_with_reserved_characters_round_trips()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("postgres://pl%40nt:a%2Fb%3Fc%23d%25e%40f@127.0.0.1:5432/db"));
        Assert.Equal("pl@nt", builder.Username);
        Assert.Equal("a/b?c#d%e@f", builder.Password);
        Assert.Equal(5432, builder.Port);
    }

    [Fact]
    public void Both_forms_of_one_address_give_the_same_connection()
    {
        var fromUrl = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("postgres://plant:pw@127.0.0.1:6432/thermalplant?sslmode=disable"));
        var fromKeywords = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString("Host=127.0.0.1;Port=6432;Database=thermalplant;Username=plant;Password=pw;SSL Mode=Disable"));
        Assert.True(fromUrl.EquivalentTo(fromKeywords), $"{fromUrl} differs from {fromKeywords}");
    }
}
