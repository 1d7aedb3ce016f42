namespace ThermalPlant.OpcUa.SecureChannel;

/// <summary>How long the server lets security tokens live (Part 4, 5.5.2).</summary>
public sealed record SecureChannelOptions
{
    /// <summary>Shortest token lifetime granted.</summary>
    public TimeSpan MinTokenLifetime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest token lifetime granted.</summary>
    public TimeSpan MaxTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The defaults.</summary>
    public static SecureChannelOptions Default { get; } = new();
}
