using ThermalPlant.Modbus.Client;

namespace ThermalPlant.Modbus.Maps;

/// <summary>
/// Reads a whole <see cref="RegisterMap"/> with the fewest requests: definitions of one table are sorted and
/// merged into blocks while the gap between them is small and the block stays within the protocol's limits.
/// </summary>
public sealed class RegisterMapReader
{
    private readonly int _baseAddress;

    /// <summary>Plans the reads of <paramref name="map"/>; <paramref name="maxGap"/> unused registers may be read to save a request.</summary>
    public RegisterMapReader(RegisterMap map, int maxGap = 8)
    {
        ArgumentNullException.ThrowIfNull(map);
        var errors = map.Validate();
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(map));
        _baseAddress = map.BaseAddress;
        Plan = BuildPlan(map, maxGap);
    }

    /// <summary>The requests one read of the map makes.</summary>
    public IReadOnlyList<ReadBlock> Plan { get; }

    /// <summary>Reads and decodes every value of the map from <paramref name="unit"/>.</summary>
    public async Task<IReadOnlyList<RegisterValue>> ReadAsync(ModbusTcpClient client, byte unit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var values = new List<RegisterValue>();
        foreach (var block in Plan)
        {
            var address = (ushort)block.Address;
            var count = (ushort)block.Count;
            if (block.Table is RegisterTable.Coil or RegisterTable.DiscreteInput)
            {
                var bits = block.Table == RegisterTable.Coil
                    ? await client.ReadCoilsAsync(unit, address, count, cancellationToken)
                    : await client.ReadDiscreteInputsAsync(unit, address, count, cancellationToken);
                foreach (var definition in block.Definitions)
                {
                    values.Add(RegisterDecoder.Decode(definition, bits[_baseAddress + definition.Address - block.Address]));
                }
            }
            else
            {
                var registers = block.Table == RegisterTable.Holding
                    ? await client.ReadHoldingRegistersAsync(unit, address, count, cancellationToken)
                    : await client.ReadInputRegistersAsync(unit, address, count, cancellationToken);
                foreach (var definition in block.Definitions)
                {
                    values.Add(RegisterDecoder.Decode(definition, registers.AsSpan(_baseAddress + definition.Address - block.Address)));
                }
            }
        }
        return values;
    }

    private static List<ReadBlock> BuildPlan(RegisterMap map, int maxGap)
    {
        var plan = new List<ReadBlock>();
        foreach (var group in map.Registers.GroupBy(r => r.Table).OrderBy(g => g.Key))
        {
            var limit = group.Key is RegisterTable.Coil or RegisterTable.DiscreteInput ? 2000 : 125;
            var sorted = group.OrderBy(r => r.Address).ToList();
            var start = map.BaseAddress + sorted[0].Address;
            var end = start + sorted[0].Width;
            var members = new List<RegisterDefinition> { sorted[0] };
            foreach (var definition in sorted.Skip(1))
            {
                var address = map.BaseAddress + definition.Address;
                var newEnd = Math.Max(end, address + definition.Width);
                if (address - end <= maxGap && newEnd - start <= limit)
                {
                    end = newEnd;
                    members.Add(definition);
                    continue;
                }
                plan.Add(new ReadBlock(group.Key, start, end - start, members));
                start = address;
                end = address + definition.Width;
                members = [definition];
            }
            plan.Add(new ReadBlock(group.Key, start, end - start, members));
        }
        return plan;
    }
}
