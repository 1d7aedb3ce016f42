namespace ThermalPlant.Testing;

/// <summary>Where the node-opcua peer scripts are, and whether node and the pinned packages are installed.</summary>
public static class NodeOpcUa
{
    private const string Hint = "scripts/test runs npm ci in tests/peers/opcua";

    /// <summary>The script's path; a missing node or node-opcua fails the test, naming what to install.</summary>
    public static string Script(string name)
    {
        PeerPrograms.Require("node", Hint, "/usr/bin/node", "/usr/local/bin/node");
        var directory = RepositoryPaths.Combine("tests", "peers", "opcua");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", "node-opcua")))
        {
            Assert.Fail($"node-opcua is not installed in {directory}; {Hint}. A missing peer fails rather than skips.");
        }
        return Path.Combine(directory, name);
    }
}
