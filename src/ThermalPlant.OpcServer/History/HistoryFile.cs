namespace ThermalPlant.OpcServer.History;

/// <summary>The history file of the service, or none when history is kept in memory only.</summary>
/// <param name="Store">The file-backed store, or null.</param>
internal sealed record HistoryFile(FileHistoryStore? Store);
