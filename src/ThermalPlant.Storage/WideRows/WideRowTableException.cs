namespace ThermalPlant.Storage.WideRows;

/// <summary>The configured wide table does not exist or lacks a column, or a column has a type that cannot hold the values.</summary>
public sealed class WideRowTableException(string message) : Exception(message);
