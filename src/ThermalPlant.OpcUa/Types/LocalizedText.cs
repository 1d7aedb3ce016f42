namespace ThermalPlant.OpcUa.Types;

/// <summary>Human-readable text with its locale (Part 3, 8.5).</summary>
/// <param name="Locale">Locale id such as <c>en-US</c>, or null.</param>
/// <param name="Text">The text, or null.</param>
public readonly record struct LocalizedText(string? Locale, string? Text)
{
    /// <summary>Text without a locale.</summary>
    public static implicit operator LocalizedText(string text) => new(null, text);

    /// <inheritdoc />
    public override string ToString() => Text ?? "";
}
