namespace ThermalPlant.Nats.Tests;

public sealed class SampleSubjectsTests
{
    [Fact]
    public void A_sensor_name_becomes_one_token()
    {
        Assert.Equal("thermalplant.samples.plant01.temperature", SampleSubjects.For("thermalplant.samples", "plant01", "temperature"));
        Assert.Equal("p.s.mfcc_coefficient_0", SampleSubjects.For("p", "s", "mfcc.coefficient 0"));
        Assert.Equal("p.s.__", SampleSubjects.For("p", "s", "*>"));
        Assert.Equal("p.s._", SampleSubjects.For("p", "s", ""));
    }

    [Theory]
    [InlineData("plant01", true)]
    [InlineData("plant_01-x", true)]
    [InlineData("plant.01", false)]
    [InlineData("plant 01", false)]
    [InlineData("*", false)]
    [InlineData("", false)]
    public void Site_names_must_be_tokens_as_they_are(string site, bool valid) => Assert.Equal(valid, SampleSubjects.IsToken(site));

    [Theory]
    [InlineData("a.b.>", "a.b.c", true)]
    [InlineData("a.b.>", "a.b.c.d", true)]
    [InlineData("a.b.>", "a.b", false)]
    [InlineData("a.*.c", "a.x.c", true)]
    [InlineData("a.*.c", "a.x.d", false)]
    [InlineData("a.b", "a.b", true)]
    [InlineData("a.b", "a.b.c", false)]
    [InlineData("", "a.b", true)]
    public void Filters_match_as_nats_matches_them(string filter, string subject, bool matches) => Assert.Equal(matches, SampleSubjects.Matches(filter, subject));
}
