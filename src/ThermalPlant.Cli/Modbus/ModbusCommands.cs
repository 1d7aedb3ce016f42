using System.CommandLine;
using System.Globalization;
using ThermalPlant.Modbus;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;

namespace ThermalPlant.Cli.Modbus;

/// <summary><c>thermalplant modbus read|write HOST:PORT ...</c>: a plant engineer's check of a Modbus TCP device from a shell.</summary>
internal static class ModbusCommands
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var endpoint = new Argument<string>("endpoint") { Description = "Device as HOST:PORT (port 502 when left out)" };
        var unit = new Option<byte>("--unit") { Description = "Unit id of every request", DefaultValueFactory = _ => 1 };
        var address = new Option<string>("--address") { Description = "First address, decimal or 0x hex (e.g. 0x8061)", Required = true };
        var type = new Option<string>("--type") { Description = "Data type of register values", DefaultValueFactory = _ => "uint16" };
        type.AcceptOnlyFromAmong("uint16", "int16", "uint32", "int32", "float32");
        var wordOrder = new Option<string>("--word-order") { Description = "Register order of 32-bit values", DefaultValueFactory = _ => "high-first" };
        wordOrder.AcceptOnlyFromAmong("high-first", "low-first");
        var command = new Command("modbus", "Talk to a Modbus TCP device");

        var readTable = new Option<string>("--table") { Description = "Table to read", DefaultValueFactory = _ => "holding" };
        readTable.AcceptOnlyFromAmong("holding", "input", "coil", "discrete");
        var count = new Option<ushort>("--count") { Description = "Number of values (of --type) to read", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var read = new Command("read", "Read registers or bits and decode them") { endpoint, unit, readTable, address, count, type, wordOrder, json };
        read.SetAction((result, cancel) => Run(result.GetValue(endpoint)!, error, async client =>
        {
            var start = ParseAddress(result.GetValue(address)!);
            var rows = await ReadAsync(client, result.GetValue(unit), result.GetValue(readTable)!, start, result.GetValue(count), ParseType(result.GetValue(type)!), ParseWordOrder(result.GetValue(wordOrder)!), cancel);
            Print(output, result.GetValue(json), rows);
        }, cancel));

        var writeTable = new Option<string>("--table") { Description = "Table to write", DefaultValueFactory = _ => "holding" };
        writeTable.AcceptOnlyFromAmong("holding", "coil");
        var values = new Argument<string[]>("values") { Description = "Values to write from --address on (coils: true/false or 1/0)", Arity = ArgumentArity.OneOrMore };
        var write = new Command("write", "Write holding registers (FC06/FC16) or coils (FC05/FC15)") { endpoint, values, unit, writeTable, address, type, wordOrder };
        write.SetAction((result, cancel) => Run(result.GetValue(endpoint)!, error, async client =>
        {
            var start = ParseAddress(result.GetValue(address)!);
            var texts = result.GetValue(values)!;
            var unitId = result.GetValue(unit);
            if (result.GetValue(writeTable) == "coil")
            {
                var bits = texts.Select(ParseBool).ToArray();
                if (bits.Length == 1) await client.WriteSingleCoilAsync(unitId, start, bits[0], cancel);
                else await client.WriteMultipleCoilsAsync(unitId, start, bits, cancel);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"wrote {bits.Length} coil(s) from {start}"));
                return;
            }
            var registers = Encode(texts, ParseType(result.GetValue(type)!), ParseWordOrder(result.GetValue(wordOrder)!));
            if (registers.Length == 1) await client.WriteSingleRegisterAsync(unitId, start, registers[0], cancel);
            else await client.WriteMultipleRegistersAsync(unitId, start, registers, cancel);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"wrote {registers.Length} register(s) from {start}"));
        }, cancel));

        command.Subcommands.Add(read);
        command.Subcommands.Add(write);
        return command;
    }

    /// <summary>The data types a value can be read or written as.</summary>
    internal enum ValueType
    {
        UInt16,
        Int16,
        UInt32,
        Int32,
        Float32,
    }

    private static async Task<int> Run(string endpoint, TextWriter error, Func<ModbusTcpClient, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            var (host, port) = ParseEndpoint(endpoint);
            await using var client = new ModbusTcpClient(new ModbusClientOptions { Host = host, Port = port, RequestTimeout = TimeSpan.FromSeconds(3) });
            await work(client);
            return 0;
        }
        catch (Exception ex) when (ex is ModbusException or ModbusProtocolException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: {endpoint} did not answer");
            return 1;
        }
    }

    private static async Task<List<(int Address, object Value)>> ReadAsync(ModbusTcpClient client, byte unit, string table, ushort start, ushort count, ValueType type, WordOrder order, CancellationToken cancellationToken)
    {
        if (table is "coil" or "discrete")
        {
            var bits = table == "coil"
                ? await client.ReadCoilsAsync(unit, start, count, cancellationToken)
                : await client.ReadDiscreteInputsAsync(unit, start, count, cancellationToken);
            return [.. bits.Select((b, i) => (start + i, (object)b))];
        }
        var definition = new RegisterDefinition { Name = "value", Type = ToDataType(type), WordOrder = order };
        var width = definition.Width;
        var words = table == "holding"
            ? await client.ReadHoldingRegistersAsync(unit, start, checked((ushort)(count * width)), cancellationToken)
            : await client.ReadInputRegistersAsync(unit, start, checked((ushort)(count * width)), cancellationToken);
        var rows = new List<(int, object)>(count);
        for (var i = 0; i < count; i++)
        {
            // Integers as integers (JSON 1024, not 1024.0); a float32 as the double it widens to, printed round-trip.
            var value = RegisterDecoder.Decode(definition, words.AsSpan(i * width, width)).Value;
            rows.Add((start + (i * width), type == ValueType.Float32 ? value : (long)value));
        }
        return rows;
    }

    private static ushort[] Encode(string[] texts, ValueType type, WordOrder order)
    {
        var words = new List<ushort>();
        foreach (var text in texts)
        {
            uint bits;
            switch (type)
            {
                case ValueType.UInt16:
                    words.Add(ushort.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture));
                    continue;
                case ValueType.Int16:
                    words.Add(unchecked((ushort)short.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)));
                    continue;
                case ValueType.UInt32:
                    bits = uint.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
                    break;
                case ValueType.Int32:
                    bits = unchecked((uint)int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture));
                    break;
                default:
                    bits = BitConverter.SingleToUInt32Bits(float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
                    break;
            }
            var (high, low) = ((ushort)(bits >> 16), (ushort)bits);
            words.AddRange(order == WordOrder.HighFirst ? [high, low] : [low, high]);
        }
        return [.. words];
    }

    private static RegisterDataType ToDataType(ValueType type) => type switch
    {
        ValueType.Int16 => RegisterDataType.Int16,
        ValueType.UInt32 => RegisterDataType.UInt32,
        ValueType.Int32 => RegisterDataType.Int32,
        ValueType.Float32 => RegisterDataType.Float32,
        _ => RegisterDataType.UInt16,
    };

    private static ValueType ParseType(string text) => Enum.Parse<ValueType>(text, ignoreCase: true);

    private static WordOrder ParseWordOrder(string text) => text == "low-first" ? WordOrder.LowFirst : WordOrder.HighFirst;

    private static bool ParseBool(string text) => text.ToUpperInvariant() switch
    {
        "1" or "TRUE" or "ON" => true,
        "0" or "FALSE" or "OFF" => false,
        _ => throw new FormatException($"'{text}' is not a coil value (true/false, 1/0, on/off)"),
    };

    internal static ushort ParseAddress(string text)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ushort.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address)
            : ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
        return ok ? address : throw new FormatException($"'{text}' is not an address between 0 and 65535 (decimal or 0x hex)");
    }

    private static (string Host, int Port) ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0) return (text, 502);
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{text}' is not HOST:PORT");
        }
        return (text[..colon].Trim('[', ']'), port);
    }

    private static void Print(TextWriter output, bool json, List<(int Address, object Value)> rows)
    {
        if (json)
        {
            output.WriteLine(JsonOutput.Serialize(rows.Select(r => new Dictionary<string, object> { ["address"] = r.Address, ["value"] = r.Value })));
            return;
        }
        output.WriteLine("address  hex     value");
        foreach (var (rowAddress, value) in rows)
        {
            var text = value switch
            {
                bool bit => bit ? "true" : "false",
                double number => number.ToString("R", CultureInfo.InvariantCulture),
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rowAddress,-7}  0x{rowAddress:X4}  {text}"));
        }
    }
}
