using System.Net;
using ThermalPlant.Hosting;
using ThermalPlant.Modbus.Server;
using ThermalPlant.PowerToGas.Calibration;

namespace ThermalPlant.Electrolyzer.Simulation;

/// <summary>The simulated electrolyzer: where its Modbus server listens and how its stack and cooler behave (section <c>Electrolyzer</c>).</summary>
public sealed class ElectrolyzerOptions : IValidatableOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Electrolyzer";

    /// <summary>Address the Modbus server listens on.</summary>
    public string ModbusAddress { get; set; } = "0.0.0.0";

    /// <summary>Modbus TCP port (0 picks a free one; 502 needs privileges, so the default is 5020).</summary>
    public int ModbusPort { get; set; } = 5020;

    /// <summary>The unit id answered; null answers every unit.</summary>
    public byte? UnitId { get; set; }

    /// <summary>Modbus connections served at once; when full, the one idle longest makes room for a newcomer.</summary>
    public int ModbusMaxConnections { get; set; } = 16;

    /// <summary>Modbus connections one peer address may hold; a further one is closed on accept.</summary>
    public int ModbusMaxConnectionsPerAddress { get; set; } = 4;

    /// <summary>A Modbus connection that completes no request for this long is closed.</summary>
    public TimeSpan ModbusIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Added to every register address of the PEMEL map.</summary>
    public int BaseAddress { get; set; }

    /// <summary>Calibration table in the seed's format; a relative path is taken from the program's folder.</summary>
    public string CalibrationFile { get; set; } = "Calibration/pemel-calibration.txt";

    /// <summary>The highest current the stack accepts, amperes; a larger set point is clamped.</summary>
    public int MaxCurrent { get; set; } = CalibrationTable.DefaultMaxCurrent;

    /// <summary>Below this current the stack produces nothing, amperes.</summary>
    public int MinCurrent { get; set; } = CalibrationTable.DefaultMinCurrent;

    /// <summary>Time constant of the hydrogen flow's first-order response to the current.</summary>
    public TimeSpan FlowTimeConstant { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the simulation advances and the registers are refreshed.</summary>
    public TimeSpan StepInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Temperature of the H2 cooler when it starts, degrees Celsius.</summary>
    public double InitialCoolerTemperature { get; set; } = 20;

    /// <summary>Temperature the cooler reaches without load, degrees Celsius.</summary>
    public double CoolerSetPoint { get; set; } = 4;

    /// <summary>Heat the stack's gas brings into the cooler per ampere, as degrees above the set point at equilibrium.</summary>
    public double HeatPerAmpere { get; set; } = 0.08;

    /// <summary>Time constant of the cooler's temperature.</summary>
    public TimeSpan ThermalTimeConstant { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>At or below this cooler temperature bit 10 (cooling temperature reached) is set, degrees Celsius.</summary>
    public double ReachedBelow { get; set; } = 10;

    /// <summary>Bit 10 clears again only above <see cref="ReachedBelow"/> plus this, so it does not chatter.</summary>
    public double Hysteresis { get; set; } = 2;

    /// <inheritdoc />
    public void Validate(string sectionPath, ICollection<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!IPAddress.TryParse(ModbusAddress, out _)) errors.Add($"{sectionPath}:ModbusAddress must be an IP address, found '{ModbusAddress}'");
        foreach (var error in ModbusServer(IPAddress.Any).Validate())
        {
            errors.Add($"{sectionPath}:Modbus{error}");
        }
        if (BaseAddress + 0x8006 < 0 || BaseAddress + 0x8065 + 14 > 65536) errors.Add($"{sectionPath}:BaseAddress moves the PEMEL map outside 0..65535");
        if (string.IsNullOrWhiteSpace(CalibrationFile)) errors.Add($"{sectionPath}:CalibrationFile must name the calibration table");
        if (MinCurrent < 0 || MaxCurrent < MinCurrent || MaxCurrent > 1000) errors.Add($"{sectionPath}:MinCurrent and MaxCurrent need 0 <= MinCurrent <= MaxCurrent <= 1000");
        if (FlowTimeConstant <= TimeSpan.Zero) errors.Add($"{sectionPath}:FlowTimeConstant must be positive");
        if (ThermalTimeConstant <= TimeSpan.Zero) errors.Add($"{sectionPath}:ThermalTimeConstant must be positive");
        if (StepInterval < TimeSpan.FromMilliseconds(10) || StepInterval > TimeSpan.FromSeconds(10)) errors.Add($"{sectionPath}:StepInterval must be between 10 ms and 10 s");
        if (Hysteresis < 0) errors.Add($"{sectionPath}:Hysteresis must not be negative");
        if (HeatPerAmpere < 0) errors.Add($"{sectionPath}:HeatPerAmpere must not be negative");
    }

    /// <summary>The Modbus server's options from these settings, listening on <paramref name="address"/>.</summary>
    public ModbusServerOptions ModbusServer(IPAddress address) => new()
    {
        Address = address,
        Port = ModbusPort,
        UnitId = UnitId,
        MaxConnections = ModbusMaxConnections,
        MaxConnectionsPerAddress = ModbusMaxConnectionsPerAddress,
        IdleTimeout = ModbusIdleTimeout,
    };

    /// <summary>The calibration file's full path.</summary>
    public string CalibrationPath => Path.IsPathRooted(CalibrationFile) ? CalibrationFile : Path.Combine(AppContext.BaseDirectory, CalibrationFile);
}
