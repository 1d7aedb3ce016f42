using ThermalPlant.Modbus.Maps;

namespace ThermalPlant.Modbus.Tests;

public sealed class RegisterMapTests
{
    [Theory]
    [InlineData(RegisterDataType.Float32, WordOrder.HighFirst, 0x4148, 0x0000, 12.5)]
    [InlineData(RegisterDataType.Float32, WordOrder.LowFirst, 0x0000, 0x4148, 12.5)]
    [InlineData(RegisterDataType.Int32, WordOrder.HighFirst, 0xFFFF, 0xFFFE, -2)]
    [InlineData(RegisterDataType.UInt32, WordOrder.LowFirst, 0x0001, 0x0002, 131073)]
    [InlineData(RegisterDataType.Int16, WordOrder.HighFirst, 0xFF9C, 0, -100)]
    [InlineData(RegisterDataType.UInt16, WordOrder.HighFirst, 0xFF9C, 0, 65436)]
    [InlineData(RegisterDataType.Bool, WordOrder.HighFirst, 0x0004, 0, 1)]
    public void Data_types_and_word_orders(RegisterDataType type, WordOrder order, int first, int second, double expected)
    {
        var definition = new RegisterDefinition { Name = "x", Type = type, WordOrder = order };
        Assert.Equal(expected, RegisterDecoder.Decode(definition, [(ushort)first, (ushort)second]).Value);
    }

    [Fact]
    public void Scale_and_offset_give_the_engineering_value()
    {
        var definition = new RegisterDefinition { Name = "t", Type = RegisterDataType.Int16, Scale = 0.1, Offset = -40, Unit = "degC" };
        var value = RegisterDecoder.Decode(definition, [650]);
        Assert.Equal(25, value.Value, 9);
        Assert.Equal("degC", value.Unit);
    }

    [Fact]
    public void Flags_are_decoded_least_significant_bit_first()
    {
        var definition = new RegisterDefinition { Name = "status", Flags = ["error", "", "running"] };
        var flags = RegisterDecoder.Decode(definition, [0b101]).Flags!;
        Assert.True(flags["error"]);
        Assert.True(flags["running"]);
        Assert.Equal(2, flags.Count);
    }

    [Theory]
    [InlineData(0b0100, "auto")]
    [InlineData(0b0000, null)]
    [InlineData(0b0110, null)]
    [InlineData(0b1000, null)]
    public void A_status_word_names_exactly_one_state_or_none(int word, string? expected)
    {
        var definition = new RegisterDefinition { Name = "mode", States = ["off", "manual", "auto"] };
        var value = RegisterDecoder.Decode(definition, [(ushort)word]);
        Assert.Equal(expected, value.State);
        Assert.Equal((ushort)word, value.StateBits);
    }

    [Fact]
    public void Planning_coalesces_near_addresses_of_one_table_within_the_limits()
    {
        var map = new RegisterMap
        {
            BaseAddress = 100,
            Registers =
            [
                new() { Name = "a", Address = 0 },
                new() { Name = "b", Address = 2, Type = RegisterDataType.Float32 },
                new() { Name = "c", Address = 50 },
                new() { Name = "d", Address = 60, Table = RegisterTable.Input },
                new() { Name = "e", Address = 1, Table = RegisterTable.Coil, Type = RegisterDataType.Bool },
            ],
        };
        var plan = new RegisterMapReader(map).Plan;
        Assert.Equal(4, plan.Count);
        var holding = plan.Where(b => b.Table == RegisterTable.Holding).ToList();
        Assert.Equal((100, 4), (holding[0].Address, holding[0].Count));
        Assert.Equal((150, 1), (holding[1].Address, holding[1].Count));
    }

    [Fact]
    public void An_invalid_map_names_each_bad_key()
    {
        var map = new RegisterMap { Registers = [new() { Name = "", Address = 70000 }, new() { Name = "x", Table = RegisterTable.Coil }, new() { Name = "x" }] };
        var errors = map.Validate("Modbus:Devices:0:Map:");
        Assert.Contains(errors, e => e.StartsWith("Modbus:Devices:0:Map:Registers:0:Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Modbus:Devices:0:Map:Registers:0:Address", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Modbus:Devices:0:Map:Registers:1:Type", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Modbus:Devices:0:Map:Registers:2:Name", StringComparison.Ordinal));
    }
}
