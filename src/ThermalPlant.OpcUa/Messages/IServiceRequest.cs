using ThermalPlant.OpcUa.Encoding;
using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Messages;

/// <summary>A service request: every one starts with a RequestHeader (Part 4, 7.33).</summary>
public interface IServiceRequest : IEncodeable
{
    /// <summary>The request's header.</summary>
    RequestHeader RequestHeader { get; set; }
}
