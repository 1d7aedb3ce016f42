using System.Buffers;
using System.Globalization;
using System.Text;
using ThermalPlant.Sensors.Readings;

namespace ThermalPlant.Sensors.Api;

/// <summary>Answers built from the readings' pre-encoded JSON, so a request serializes nothing.</summary>
internal static class ReadingResults
{
    private static readonly byte[] ReadingsPrefix = "{\"timestamp\":\""u8.ToArray();
    private static readonly byte[] ReadingsMiddle = "\",\"readings\":["u8.ToArray();
    private static readonly byte[] ReadingsSuffix = "]}"u8.ToArray();

    /// <summary>The reading as JSON, or 503 problem details when the sensor has not been sampled yet.</summary>
    public static IResult Latest(ReadingStore store, string sensor) =>
        store.Get(sensor) is { } stored ? Results.Bytes(stored.Json, "application/json") : NotYetSampled(sensor);

    /// <summary>503 problem details: the service just started and the sensor has no sample yet.</summary>
    public static IResult NotYetSampled(string sensor) => Results.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "No reading yet",
        detail: $"Sensor '{sensor}' has not been sampled yet; retry shortly.",
        type: "https://thermalplant.dev/problems/no-reading");

    /// <summary>Every current reading in one document: <c>{"timestamp": ..., "readings": [...]}</c>.</summary>
    public static IResult All(ReadingStore store, SensorCatalog catalog, TimeProvider time) => new AllReadingsResult(store.Snapshot(catalog.Current), time.GetUtcNow());

    private sealed class AllReadingsResult(List<StoredReading> readings, DateTimeOffset timestamp) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var length = ReadingsPrefix.Length + 40 + ReadingsMiddle.Length + ReadingsSuffix.Length + readings.Count;
            foreach (var reading in readings)
            {
                length += reading.Json.Length;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var written = Compose(buffer);
                httpContext.Response.ContentType = "application/json";
                httpContext.Response.ContentLength = written;
                await httpContext.Response.Body.WriteAsync(buffer.AsMemory(0, written), httpContext.RequestAborted);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private int Compose(Span<byte> buffer)
        {
            var position = Append(buffer, 0, ReadingsPrefix);
            position += Encoding.UTF8.GetBytes(timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), buffer[position..]);
            position = Append(buffer, position, ReadingsMiddle);
            for (var i = 0; i < readings.Count; i++)
            {
                if (i > 0) buffer[position++] = (byte)',';
                position = Append(buffer, position, readings[i].Json);
            }
            return Append(buffer, position, ReadingsSuffix);
        }

        private static int Append(Span<byte> buffer, int position, ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(buffer[position..]);
            return position + bytes.Length;
        }
    }
}
