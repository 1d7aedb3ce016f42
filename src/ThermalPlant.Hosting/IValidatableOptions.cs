namespace ThermalPlant.Hosting;

/// <summary>An options class that checks itself and reports each problem against its configuration key.</summary>
public interface IValidatableOptions
{
    /// <summary>Adds one message per invalid setting to <paramref name="errors"/>, each starting with the full key (<paramref name="sectionPath"/>:Name).</summary>
    void Validate(string sectionPath, ICollection<string> errors);
}
