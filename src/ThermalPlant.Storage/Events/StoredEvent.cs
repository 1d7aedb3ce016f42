using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ThermalPlant.Storage.Events;

/// <summary>One OPC UA event (or alarm transition) as a row of the <c>events</c> table.</summary>
/// <param name="Endpoint">The endpoint URL it came from (as the tags' <c>endpoint</c>).</param>
/// <param name="EventId">The server's EventId, or <see cref="ContentKey"/> when it sent none; with the endpoint and time the row's key.</param>
/// <param name="Time">When the event happened at its source (the event's Time), UTC.</param>
/// <param name="ReceiveTime">When the server received it (ReceiveTime; the scraper's clock when the server sent none), UTC.</param>
/// <param name="EventType">The event type: its standard name (<c>ExclusiveLimitAlarmType</c>) or NodeId text.</param>
/// <param name="SourceNode">The source node's NodeId text, or null.</param>
/// <param name="SourceName">The source's name, or null.</param>
/// <param name="Severity">1 (least) to 1000 (most severe).</param>
/// <param name="Message">The event's text, or null.</param>
/// <param name="ConditionId">The condition's NodeId text for condition events, else null.</param>
/// <param name="Active">ActiveState/Id of an alarm, else null.</param>
/// <param name="Acked">AckedState/Id of an acknowledgeable condition, else null.</param>
/// <param name="Confirmed">ConfirmedState/Id of an acknowledgeable condition, else null.</param>
/// <param name="Retain">Retain of a condition (the server still shows it), else null.</param>
/// <param name="Comment">The condition's last comment, or null.</param>
public sealed record StoredEvent(
    string Endpoint,
    byte[] EventId,
    DateTime Time,
    DateTime ReceiveTime,
    string EventType,
    string? SourceNode,
    string? SourceName,
    int Severity,
    string? Message,
    string? ConditionId,
    bool? Active,
    bool? Acked,
    bool? Confirmed,
    bool? Retain,
    string? Comment)
{
    /// <summary>The longest EventId kept; a longer one is replaced by its SHA-256 (Part 5 makes them short).</summary>
    public const int MaxEventIdLength = 64;

    /// <summary>
    /// A key for an event whose server sent no EventId: SHA-256 over what identifies it (time, type, source, condition,
    /// states, severity, message), so the same event received live and read from history gets the same key.
    /// </summary>
    public static byte[] ContentKey(DateTime time, string eventType, string? sourceNode, string? conditionId, bool? active, bool? acked, bool? confirmed, int severity, string? message)
    {
        var text = string.Join('\u001f', eventType, sourceNode, conditionId, State(active), State(acked), State(confirmed), severity, message);
        var bytes = Encoding.UTF8.GetBytes(text);
        var buffer = new byte[sizeof(long) + bytes.Length];
        BinaryPrimitives.WriteInt64LittleEndian(buffer, time.Ticks);
        bytes.CopyTo(buffer, sizeof(long));
        return SHA256.HashData(buffer);
    }

    /// <summary>The EventId as stored: as sent when short enough, else its SHA-256.</summary>
    public static byte[] BoundedEventId(byte[] eventId)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return eventId.Length <= MaxEventIdLength ? eventId : SHA256.HashData(eventId);
    }

    private static string State(bool? value) => value switch { true => "1", false => "0", null => "-" };
}
