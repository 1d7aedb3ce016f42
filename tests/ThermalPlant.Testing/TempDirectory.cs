namespace ThermalPlant.Testing;

/// <summary>A fresh directory under the system's temp folder, deleted with its contents when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the directory, named <paramref name="prefix"/> plus a random part.</summary>
    public TempDirectory(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
