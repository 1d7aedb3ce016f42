using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Types;

/// <summary>A protocol violation or refused service, carrying the status code that goes on the wire.</summary>
public class OpcUaException : Exception
{
    /// <summary>Creates the exception for <paramref name="status"/> with a message saying what was wrong.</summary>
    public OpcUaException(StatusCode status, string message)
        : base($"{status}: {message}")
    {
        Status = status;
    }

    /// <summary>Creates the exception with a message (BadUnexpectedError).</summary>
    public OpcUaException(string message)
        : this(StatusCodes.BadUnexpectedError, message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception (BadUnexpectedError).</summary>
    public OpcUaException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.BadUnexpectedError;
    }

    /// <summary>Creates the exception without a message (BadUnexpectedError).</summary>
    public OpcUaException()
    {
        Status = StatusCodes.BadUnexpectedError;
    }

    /// <summary>The status code to report.</summary>
    public StatusCode Status { get; }
}
