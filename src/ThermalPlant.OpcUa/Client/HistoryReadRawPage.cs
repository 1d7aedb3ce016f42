using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Client;

/// <summary>
/// Values of one node from one HistoryRead response of a read over many nodes. A node's pages arrive in the order the
/// server returned its values; pages of different nodes interleave.
/// </summary>
/// <param name="Index">The node's position in the list that was read.</param>
/// <param name="Node">The node.</param>
/// <param name="Status">The server's status for the node: Good, GoodNoData, or Bad (then no values, and no more pages).</param>
/// <param name="Values">The values of this page.</param>
/// <param name="IsLast">Whether the node has no further pages.</param>
public sealed record HistoryReadRawPage(int Index, NodeId Node, StatusCode Status, IReadOnlyList<DataValue> Values, bool IsLast);
