using ThermalPlant.Sensors.Devices;

namespace ThermalPlant.Sensors.Tests.Support;

/// <summary>A thermocouple whose next answer the test sets: a reading, or a bus error.</summary>
internal sealed class ScriptedThermocouple(double celsius) : IThermocouple
{
    private volatile Exception? _error;
    private volatile ThermocoupleFault _fault;

    public double Celsius { get; set; } = celsius;

    public void Fail(Exception error) => _error = error;

    public void Fault(ThermocoupleFault fault) => _fault = fault;

    public void Recover()
    {
        _error = null;
        _fault = ThermocoupleFault.None;
    }

    public ThermocoupleReading Read() => _error is { } error ? throw error : new ThermocoupleReading(Celsius, 25, _fault);
}
