using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Server.Sessions;

/// <summary>The references of a Browse that did not fit its RequestedMaxReferencesPerNode, kept for BrowseNext.</summary>
/// <param name="Remaining">The references not yet returned.</param>
/// <param name="MaxReferences">How many to return per call (0 for all).</param>
internal sealed record BrowseContinuation(ReferenceDescription[] Remaining, uint MaxReferences);
