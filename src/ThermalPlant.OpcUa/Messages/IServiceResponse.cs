using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Messages;

/// <summary>A service response: every one starts with a ResponseHeader (Part 4, 7.34).</summary>
public interface IServiceResponse : IEncodeable
{
    /// <summary>The response's header.</summary>
    ResponseHeader ResponseHeader { get; set; }
}
