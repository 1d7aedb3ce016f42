namespace ThermalPlant.OpcUa.Transport;

/// <summary>The UA TCP message types (Part 6, 7.1.2.2): the three ASCII letters as a little-endian 24-bit value.</summary>
public enum MessageType : uint
{
    /// <summary>HEL: the client's hello.</summary>
    Hello = 'H' | ('E' << 8) | ('L' << 16),
    /// <summary>ACK: the server's acknowledge.</summary>
    Acknowledge = 'A' | ('C' << 8) | ('K' << 16),
    /// <summary>ERR: an error that closes the connection.</summary>
    Error = 'E' | ('R' << 8) | ('R' << 16),
    /// <summary>RHE: reverse hello (server-initiated connections).</summary>
    ReverseHello = 'R' | ('H' << 8) | ('E' << 16),
    /// <summary>OPN: OpenSecureChannel.</summary>
    OpenSecureChannel = 'O' | ('P' << 8) | ('N' << 16),
    /// <summary>MSG: a service message on a secure channel.</summary>
    Message = 'M' | ('S' << 8) | ('G' << 16),
    /// <summary>CLO: CloseSecureChannel.</summary>
    CloseSecureChannel = 'C' | ('L' << 8) | ('O' << 16),
}
