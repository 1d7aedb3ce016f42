namespace ThermalPlant.Testing;

/// <summary>Where the node-opcua peer scripts are, and whether node and the pinned packages are installed.</summary>
public static class NodeOpcUa
{
    private const string Hint = "scripts/test runs npm ci in tests/peers/opcua";

    /// <summary>The script's path; null when node-opcua is missing outside CI (under CI that fails the test).</summary>
    public static string? Script(string name)
    {
        if (PeerPrograms.Require("node", Hint, "/usr/bin/node", "/usr/local/bin/node") is null) return null;
        var directory = RepositoryPaths.Combine("tests", "peers", "opcua");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "node-opcua")))
        {
            if (PeerPrograms.IsCi) Assert.Fail($"node-opcua is not installed in {directory}; {Hint}. Under CI this fails rather than skips.");
            return null;
        }
        return Path.Combine(directory, name);
    }
}
