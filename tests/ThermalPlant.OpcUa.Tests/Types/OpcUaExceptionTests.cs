using ThermalPlant.OpcUa.Generated;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.OpcUa.Tests.Types;

/// <summary>Every OpcUaException's message starts with its status once, so a printer adds none (the CLI printed it twice).</summary>
public sealed class OpcUaExceptionTests
{
    [Fact]
    public void Every_constructor_starts_the_message_with_the_status_once()
    {
        Assert.Equal("BadTimeout: no answer", new OpcUaException(StatusCodes.BadTimeout, "no answer").Message);
        Assert.Equal("BadUnexpectedError: odd", new OpcUaException("odd").Message);
        Assert.Equal("BadUnexpectedError: odd", new OpcUaException("odd", new IOException("inner")).Message);
        Assert.Equal("BadUnexpectedError", new OpcUaException().Message);
    }
}
