namespace ThermalPlant.OpcUa.Transport;

/// <summary>The chunk type byte of a message header (Part 6, 7.1.2.2).</summary>
public enum ChunkType : byte
{
    /// <summary>F: the final (or only) chunk of a message.</summary>
    Final = (byte)'F',
    /// <summary>C: an intermediate chunk.</summary>
    Intermediate = (byte)'C',
    /// <summary>A: the sender aborts the message; its chunks so far are discarded.</summary>
    Abort = (byte)'A',
}
