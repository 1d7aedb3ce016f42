using ThermalPlant.OpcUa.Server.History;

namespace ThermalPlant.Analytics.Service.Server;

/// <summary>The file the endpoint's history is kept in across restarts, or none when it is kept in memory only.</summary>
/// <param name="File">The file-backed store, or null.</param>
internal sealed record ServedHistory(FileHistoryStore? File);
