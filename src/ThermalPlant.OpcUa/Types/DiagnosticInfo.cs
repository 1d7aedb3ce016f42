namespace ThermalPlant.OpcUa.Types;

/// <summary>Vendor diagnostics for a status code (Part 4, 7.12); indexes point into the response's string table.</summary>
public sealed record DiagnosticInfo
{
    /// <summary>No diagnostics: every field absent. Shared, as a record's fields cannot change.</summary>
    public static DiagnosticInfo Empty { get; } = new();

    /// <summary>Index of the symbolic id in the string table.</summary>
    public int? SymbolicId { get; init; }

    /// <summary>Index of the namespace URI in the string table.</summary>
    public int? NamespaceUri { get; init; }

    /// <summary>Index of the locale in the string table.</summary>
    public int? Locale { get; init; }

    /// <summary>Index of the localized text in the string table.</summary>
    public int? LocalizedText { get; init; }

    /// <summary>Free-form vendor information.</summary>
    public string? AdditionalInfo { get; init; }

    /// <summary>Status code of an inner operation.</summary>
    public StatusCode? InnerStatusCode { get; init; }

    /// <summary>Diagnostics of an inner operation.</summary>
    public DiagnosticInfo? InnerDiagnosticInfo { get; init; }
}
