namespace ThermalPlant.OpcUa.Types;

/// <summary>The encoding byte of an ExtensionObject.</summary>
public enum ExtensionObjectEncoding : byte
{
    /// <summary>No body.</summary>
    None = 0,
    /// <summary>A binary-encoded body (a ByteString).</summary>
    Binary = 1,
    /// <summary>An XML-encoded body (an XmlElement).</summary>
    Xml = 2,
}
