using ThermalPlant.PowerToGas.Calibration;
using ThermalPlant.Testing;

namespace ThermalPlant.PowerToGas.Tests;

/// <summary>The calibration table's format checks and the seed's conversion semantics, on the table the simulator ships.</summary>
public sealed class CalibrationTableTests
{
    private static readonly string ShippedTable = RepositoryPaths.Combine("src", "ThermalPlant.Electrolyzer", "Calibration", "pemel-calibration.txt");

    [Theory]
    [InlineData("7.5", 21)]
    [InlineData("16.7", 47)]
    [InlineData("2.0", 0)]
    [InlineData("23.7", 52)]
    public async Task The_seed_bridges_own_cases_give_the_same_currents(string flow, int current)
    {
        var table = await CalibrationTable.LoadAsync(ShippedTable);
        Assert.Equal(current, table.ToCurrent(decimal.Parse(flow, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Edges_follow_the_seed_rules_and_are_flagged()
    {
        var table = await CalibrationTable.LoadAsync(ShippedTable);
        Assert.Equal(new CalibrationResult(52, CalibrationRange.AboveTable), table.Convert(18.4m));
        Assert.Equal(new CalibrationResult(0, CalibrationRange.BelowTable), table.Convert(-0.1m));
        Assert.Equal(new CalibrationResult(0, CalibrationRange.BelowMinimumCurrent), table.Convert(0m));
        Assert.Equal(new CalibrationResult(8, CalibrationRange.Interpolated), table.Convert(2.7m));
        Assert.Equal(new CalibrationResult(48, CalibrationRange.Interpolated), table.Convert(17.0m));
    }

    [Theory]
    [InlineData("7.1875", 20)] // exactly 20.5 A between 20;7.0 and 24;8.5: rounds to the even 20
    [InlineData("7.9375", 22)] // exactly 22.5 A: rounds to the even 22
    [InlineData("7.5625", 22)] // exactly 21.5 A: rounds to the even 22
    public void Rounding_is_half_to_even(string flow, int current)
    {
        var table = CalibrationTable.Parse("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n24;8.5\n20;7.0\n0;0.0\n");
        Assert.Equal(current, table.ToCurrent(decimal.Parse(flow, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Limits_are_the_callers()
    {
        var table = CalibrationTable.Parse("Current_[A];H2_Flowrate_[Nl_per_min]\r\n40;20.0\r\n0;0.0\r\n", maxCurrent: 45, minCurrent: 2);
        Assert.Equal(45, table.ToCurrent(25m));
        Assert.Equal(2, table.ToCurrent(1m));
        Assert.Equal(0, table.ToCurrent(0.5m));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Current;Flow\n52;18.4\n0;0.0\n", "expected the header")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n", "at least two rows")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n52;17.0\n", "line 3: currents must decrease")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n0;0.0\n52;18.4\n", "line 3: currents must decrease")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n48;18.9\n0;0.0\n", "line 3: the flow must decrease")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18,4\n0;0.0\n", "line 2: the flow '18,4' is not a decimal")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52.5;18.4\n0;0.0\n", "line 2: the current '52.5' is not an integer")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4;1\n0;0.0\n", "line 2: expected 'current;flow'")]
    [InlineData("Current_[A];H2_Flowrate_[Nl_per_min]\n52;18.4\n-4;0.0\n", "must not be negative")]
    public void A_bad_table_is_refused_with_the_line_and_the_reason(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => CalibrationTable.Parse(text, "table.txt"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("table.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shipped_table_is_the_seed_format_from_52_A_down_to_0()
    {
        var table = await CalibrationTable.LoadAsync(ShippedTable);
        Assert.Equal(new CalibrationPoint(52, 18.4m), table.Points[0]);
        Assert.Equal(new CalibrationPoint(0, 0.0m), table.Points[^1]);
    }
}
