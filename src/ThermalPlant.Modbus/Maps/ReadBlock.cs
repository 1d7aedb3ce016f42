namespace ThermalPlant.Modbus.Maps;

/// <summary>One request of a read plan: a contiguous range of one table and the definitions it covers.</summary>
/// <param name="Table">The table read.</param>
/// <param name="Address">First absolute address.</param>
/// <param name="Count">Registers or bits read.</param>
/// <param name="Definitions">Definitions whose values lie inside the range.</param>
public sealed record ReadBlock(RegisterTable Table, int Address, int Count, IReadOnlyList<RegisterDefinition> Definitions);
