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
}
