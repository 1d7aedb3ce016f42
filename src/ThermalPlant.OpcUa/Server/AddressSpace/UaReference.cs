using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Server.AddressSpace;

/// <summary>A reference from a node: its type, its direction, and the node it points to.</summary>
/// <param name="ReferenceTypeId">The reference type (e.g. Organizes, HasComponent).</param>
/// <param name="IsForward">False for the inverse side of a reference.</param>
/// <param name="TargetId">The node referenced.</param>
public sealed record UaReference(NodeId ReferenceTypeId, bool IsForward, NodeId TargetId);
