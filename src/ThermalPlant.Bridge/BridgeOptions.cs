using ThermalPlant.Hosting;
using ThermalPlant.PowerToGas;

namespace ThermalPlant.Bridge;

/// <summary>The bridge's configuration (section <c>Bridge</c>), checked as a whole when the host starts.</summary>
public sealed class BridgeOptions : IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Bridge";

    /// <summary>The control links run; each runs on its own, with the options of <see cref="PemelLinkOptions"/>.</summary>
    public IList<PemelLinkOptions> Links { get; set; } = [];

    /// <summary>The first wait before a failed link is started again.</summary>
    public TimeSpan RestartMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait before a failed link is started again.</summary>
    public TimeSpan RestartMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        // A bridge without links would run, report healthy and write nothing: a configuration mistake, said at start.
        if (Links.Count == 0) errors.Add($"{sectionPath}:Links must configure at least one control link");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Links.Count; i++)
        {
            var key = $"{sectionPath}:Links:{i}";
            Links[i].Validate(key, errors);
            if (!names.Add(Links[i].Name)) errors.Add($"{key}:Name '{Links[i].Name}' is used by another link");
            if (!string.IsNullOrWhiteSpace(Links[i].CalibrationFile) && !File.Exists(Links[i].CalibrationFile))
            {
                errors.Add($"{key}:CalibrationFile '{Links[i].CalibrationFile}' does not exist");
            }
        }
        if (RestartMinDelay <= TimeSpan.Zero || RestartMaxDelay < RestartMinDelay)
        {
            errors.Add($"{sectionPath}:RestartMinDelay and RestartMaxDelay need 0 < RestartMinDelay <= RestartMaxDelay");
        }
    }
}
