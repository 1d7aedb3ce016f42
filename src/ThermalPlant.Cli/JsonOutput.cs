using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThermalPlant.OpcUa.Types;

namespace ThermalPlant.Cli;

/// <summary>
/// What <c>--json</c> prints: numbers as JSON numbers and booleans as JSON booleans (<c>"value": 421.25</c>, not
/// <c>"421.25"</c>), times as ISO 8601 strings, arrays as JSON arrays, anything else as its text.
/// </summary>
internal static class JsonOutput
{
    /// <summary>The serializer options of every <c>--json</c>: NaN and infinities, which JSON has no number for, as strings.</summary>
    public static JsonSerializerOptions Options { get; } = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>One line of JSON.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>An OPC UA value as JSON takes it.</summary>
    public static object? Value(Variant value) => Value(value.Value);

    /// <summary>A raw value (a Variant's content, a decoded register) as JSON takes it.</summary>
    public static object? Value(object? value) => value switch
    {
        null => null,
        bool or sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal or string => value,
        DateTime time => time.ToString("O", CultureInfo.InvariantCulture),
        byte[] bytes => bytes,
        Array array => array.Cast<object?>().Select(Value).ToList(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}
