using System.Diagnostics;
using ThermalPlant.Analytics.Diagnosis;
using ThermalPlant.Simulation;

namespace ThermalPlant.Cli.Analytics;

/// <summary>Hands the virtual plant's data changes to the diagnoser with the status codes the OPC server gives them, and the good ones to the scalar detectors; times the diagnoser.</summary>
internal sealed class DiagnoserFeed(PlantDiagnoser diagnoser, ScalarWatch scalars) : IPlantSignals
{
    private static readonly string[] BandTags = [.. Enumerable.Range(0, 1024).Select(i => $"Audio/Spectrum/Band_{i}")];

    private readonly Dictionary<string, string> _faultType = [];
    private long _scalarTicks, _audioTicks;
    private Action? _after;

    /// <summary>Time spent in the diagnoser on the scalar signals.</summary>
    public TimeSpan ScalarElapsed => Stopwatch.GetElapsedTime(0, _scalarTicks);

    /// <summary>Time spent in the diagnoser on the spectrum.</summary>
    public TimeSpan AudioElapsed => Stopwatch.GetElapsedTime(0, _audioTicks);

    /// <summary>Scalar samples handed on.</summary>
    public long ScalarSamples { get; private set; }

    /// <summary>Runs <paramref name="action"/> once the current diagnoser call has returned, outside its timing.</summary>
    public void After(Action action) => _after += action;

    /// <summary>From when the plant runs normally (after warm-up or the last fault's grace).</summary>
    public DateTime NormalSince { get; set; } = DateTime.MaxValue;

    /// <summary>True when <paramref name="diagnosis"/> raises a fault its component did not have (not a change of severity, not a clear).</summary>
    public bool IsNewFault(Diagnosis diagnosis)
    {
        _faultType.TryGetValue(diagnosis.Component, out var previous);
        _faultType[diagnosis.Component] = diagnosis.FaultType;
        return diagnosis.Severity != FaultSeverity.None && diagnosis.FaultType != previous;
    }

    public void UpperTemperature(DateTime timestampUtc, double celsius, bool good)
    {
        var start = Stopwatch.GetTimestamp();
        diagnoser.OnUpperTemperature(timestampUtc, celsius, Status(good));
        _scalarTicks += Stopwatch.GetTimestamp() - start;
        ScalarSamples++;
        if (good) scalars.Update("Temperature/Upper", timestampUtc, celsius);
        RunAfter();
    }

    public void LowerTemperature(DateTime timestampUtc, double celsius, bool good)
    {
        var start = Stopwatch.GetTimestamp();
        diagnoser.OnLowerTemperature(timestampUtc, celsius, Status(good));
        _scalarTicks += Stopwatch.GetTimestamp() - start;
        ScalarSamples++;
        if (good) scalars.Update("Temperature/Lower", timestampUtc, celsius);
        RunAfter();
    }

    public void ShaftSpeed(DateTime timestampUtc, double rpm, bool good)
    {
        var start = Stopwatch.GetTimestamp();
        diagnoser.OnShaftSpeed(timestampUtc, rpm, Status(good));
        _scalarTicks += Stopwatch.GetTimestamp() - start;
        ScalarSamples++;
        if (good) scalars.Update("RPM/MainShaft", timestampUtc, rpm);
        RunAfter();
    }

    public void SupplyVoltage(DateTime timestampUtc, double volts, bool good)
    {
        var start = Stopwatch.GetTimestamp();
        diagnoser.OnSupplyVoltage(timestampUtc, volts, Status(good));
        _scalarTicks += Stopwatch.GetTimestamp() - start;
        ScalarSamples++;
        if (good) scalars.Update("Voltage/MainSupply", timestampUtc, volts);
        RunAfter();
    }

    public void Spectrum(DateTime timestampUtc, ReadOnlySpan<double> bandsDb)
    {
        var start = Stopwatch.GetTimestamp();
        // As the OPC server publishes it: one data change per band, all with the spectrum's timestamp.
        for (var band = 0; band < bandsDb.Length; band++)
        {
            diagnoser.OnSpectrumBand(timestampUtc, band, bandsDb[band], SignalStatus.Good);
        }
        _audioTicks += Stopwatch.GetTimestamp() - start;
        for (var band = 0; band < bandsDb.Length; band++) scalars.Update(BandTags[band], timestampUtc, bandsDb[band]);
        RunAfter();
    }

    private void RunAfter()
    {
        if (_after is null) return;
        var after = _after;
        _after = null;
        after();
    }

    private static uint Status(bool good) => good ? SignalStatus.Good : SignalStatus.BadSensorFailure;
}
