using ThermalPlant.OpcUa.Generated;

namespace ThermalPlant.OpcUa.Types;

/// <summary>
/// A protocol violation or refused service, carrying the status code that goes on the wire; the message starts with
/// that status (<c>BadTimeout: ...</c>), so whoever prints it adds no status of its own.
/// </summary>
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
        : base($"{new StatusCode(StatusCodes.BadUnexpectedError)}: {message}", innerException)
    {
        Status = StatusCodes.BadUnexpectedError;
    }

    /// <summary>Creates the exception without a message (BadUnexpectedError).</summary>
    public OpcUaException()
        : base(new StatusCode(StatusCodes.BadUnexpectedError).ToString())
    {
        Status = StatusCodes.BadUnexpectedError;
    }

    /// <summary>The status code to report.</summary>
    public StatusCode Status { get; }
}
