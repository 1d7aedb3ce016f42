namespace ThermalPlant.OpcUa.Server.Subscriptions;

/// <summary>Numeric values of the built-in types as doubles, for deadbands.</summary>
internal static class Numeric
{
    public static bool TryToDouble(object? value, out double result)
    {
        switch (value)
        {
            case double d: result = d; return true;
            case float f: result = f; return true;
            case sbyte v: result = v; return true;
            case byte v: result = v; return true;
            case short v: result = v; return true;
            case ushort v: result = v; return true;
            case int v: result = v; return true;
            case uint v: result = v; return true;
            case long v: result = v; return true;
            case ulong v: result = v; return true;
            default: result = 0; return false;
        }
    }

    /// <summary>Whether a data type id of namespace 0 is numeric (deadbands apply).</summary>
    public static bool IsNumericType(uint dataType) => dataType is >= 2 and <= 11 or 26 or 27 or 28;
}
