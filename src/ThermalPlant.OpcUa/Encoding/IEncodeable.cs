namespace ThermalPlant.OpcUa.Encoding;

/// <summary>A structure with a binary encoding: the generated service messages and data types.</summary>
public interface IEncodeable
{
    /// <summary>Numeric id (namespace 0) of the structure's DefaultBinary encoding node; 0 when it has none.</summary>
    uint EncodingId { get; }

    /// <summary>Writes the structure's fields.</summary>
    void Encode(BinaryEncoder encoder);
}
