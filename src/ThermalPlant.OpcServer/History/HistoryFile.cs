using ThermalPlant.OpcUa.Server.History;

namespace ThermalPlant.OpcServer.History;

/// <summary>The history files of the service (values and events), each null when kept in memory only.</summary>
/// <param name="Store">The file-backed value store, or null.</param>
/// <param name="Events">The file-backed event store, or null.</param>
internal sealed record HistoryFile(FileHistoryStore? Store, FileEventHistoryStore? Events);
