using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Transport;

/// <summary>An Error message (Part 6, 7.1.2.5): a status code and a reason; the sender closes the connection after it.</summary>
/// <param name="Status">Why the connection ends.</param>
/// <param name="Reason">A readable reason (never internals).</param>
public sealed record ErrorMessage(StatusCode Status, string? Reason)
{
    /// <summary>Longest reason sent (Part 6 limits it to 4096 bytes).</summary>
    public const int MaxReasonLength = 4096;

    /// <summary>Decodes an Error body.</summary>
    public static ErrorMessage Decode(ReadOnlySpan<byte> body)
    {
        var decoder = new BinaryDecoder(body, new EncodingLimits { MaxStringLength = MaxReasonLength });
        return new ErrorMessage(decoder.ReadStatusCode(), decoder.ReadString());
    }

    /// <summary>Encodes the Error body, cutting the reason to its limit.</summary>
    public void Encode(BinaryEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        encoder.WriteStatusCode(Status);
        encoder.WriteString(Reason is { Length: > MaxReasonLength / 4 } ? Reason[..(MaxReasonLength / 4)] : Reason);
    }
}
