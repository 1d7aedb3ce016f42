using Microsoft.Extensions.Logging;
using ThermalPlant.Control.Sources;
using ThermalPlant.Modbus;
using ThermalPlant.Modbus.Client;
using ThermalPlant.Modbus.Maps;

namespace ThermalPlant.Control.Links;

/// <summary>
/// Reads a set point from a source every period, converts it through a curve (e.g. a calibration table), and writes
/// the result to the device's set point register once per cycle (FC06), then reads it back. The write is gated by
/// the enable condition, moved at most <see cref="ControlLinkOptions.MaxRatePerSecond"/>, and never leaves
/// Minimum..Maximum. Without a usable source the link holds or ramps to the safe value, as configured.
/// </summary>
public sealed partial class ControlLink
{
    private readonly ControlLinkOptions _options;
    private readonly ISetPointCurve _curve;
    private readonly IControlSource _source;
    private readonly ModbusTcpClient _device;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _linkTag;
    private double? _lastSetPoint;
    private string? _sourceProblem;
    private string? _deviceProblem;
    private bool _interlocked;
    private CurveRange? _lastRange;
    private DateTimeOffset? _lastInterlockLog;
    private long _writes;
    private long _dryRunWrites;
    private long _failedWrites;

    /// <summary>Creates the link; <see cref="RunAsync"/> runs it, <see cref="RunCycleAsync"/> runs one cycle.</summary>
    /// <param name="options">The link's settings; validated here.</param>
    /// <param name="curve">Converts the source's value into the set point (e.g. a calibration table: flow into amperes).</param>
    /// <param name="source">Where the set point is read.</param>
    /// <param name="device">The client of the driven device; it may be shared, it serializes requests itself.</param>
    /// <param name="logger">Where every write, every loss of the source and the interlock are logged.</param>
    /// <param name="time">Clock of the cycle timer, the staleness check and the interlock log interval.</param>
    public ControlLink(ControlLinkOptions options, ISetPointCurve curve, IControlSource source, ModbusTcpClient device, ILogger<ControlLink> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        options.Validate("ControlLink", errors);
        if (errors.Count > 0) throw new ArgumentException(string.Join("; ", errors), nameof(options));
        _options = options;
        _curve = curve;
        _source = source;
        _device = device;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _linkTag = new KeyValuePair<string, object?>("link", options.Name);
    }

    /// <summary>The link's name.</summary>
    public string Name => _options.Name;

    /// <summary>Set points written to the device.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Set points a dry run would have written.</summary>
    public long DryRunWrites => Interlocked.Read(ref _dryRunWrites);

    /// <summary>Writes the device refused or did not answer.</summary>
    public long FailedWrites => Interlocked.Read(ref _failedWrites);

    /// <summary>The last set point written (or, in a dry run, computed), amperes; null before the first.</summary>
    public double? LastSetPoint => _lastSetPoint;

    /// <summary>Runs cycles every <see cref="ControlLinkOptions.Period"/> until <paramref name="cancellationToken"/> fires; a failed cycle is logged and the next one runs.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        LogStarting(_logger, Name, _source.Description, _options.Target.Host, _options.Target.Port, _options.Target.UnitId, _options.Target.AbsoluteSetPointAddress, _options.DryRun);
        using var timer = new PeriodicTimer(_options.Period, _time);
        try
        {
            do
            {
                await RunCycleAsync(cancellationToken);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopped(_logger, Name, Writes);
        }
    }

    /// <summary>Runs one cycle: read, convert, gate, limit, write once, read back.</summary>
    public async Task<ControlCycle> RunCycleAsync(CancellationToken cancellationToken)
    {
        var reading = CheckAge(await _source.ReadAsync(cancellationToken));
        SetPointConversion? conversion = null;
        double target;
        string reason;
        if (reading.Quality == SourceQuality.Good)
        {
            if (_sourceProblem is not null) LogSourceBack(_logger, Name, _source.Description, reading.Value!.Value);
            _sourceProblem = null;
            conversion = _curve.Convert(reading.Value!.Value);
            target = conversion.Value.SetPoint;
            reason = $"{reading.Value} -> {conversion.Value.SetPoint} ({conversion.Value.Rule})";
            // Flagged once when the request leaves the curve's domain, not every second while it stays outside.
            if (conversion.Value.Range != CurveRange.Inside && conversion.Value.Range != _lastRange)
            {
                LogOutsideCurve(_logger, Name, reading.Value!.Value, _curve.Domain.Minimum, _curve.Domain.Maximum, conversion.Value.SetPoint);
            }
            _lastRange = conversion.Value.Range;
        }
        else
        {
            ControlMetrics.SourceLost.Add(1, _linkTag);
            var action = _options.OnSourceLoss == SourceLossAction.Hold ? "holding the last set point" : $"ramping to the safe value {_options.SafeValue} A";
            if (_sourceProblem is null) LogSourceLost(_logger, Name, _source.Description, reading.Quality, reading.Problem, action);
            _sourceProblem = reading.Problem ?? reading.Quality.ToString();
            if (_options.OnSourceLoss == SourceLossAction.Hold) return new ControlCycle(ControlOutcome.Held, reading, null, null, null, null, $"source {reading.Quality}: {reading.Problem}");
            target = _options.SafeValue;
            reason = $"source {reading.Quality}, safe value";
        }

        try
        {
            if (await InterlockProblemAsync(cancellationToken) is { } interlock)
            {
                return new ControlCycle(ControlOutcome.Interlocked, reading, conversion, null, null, null, interlock);
            }
            var from = _lastSetPoint ?? await ReadSetPointAsync(cancellationToken);
            var setPoint = Limit(from, target);
            var register = (ushort)Math.Round(setPoint * _options.Target.SetPointScale, MidpointRounding.ToEven);
            if (_options.DryRun)
            {
                _lastSetPoint = setPoint;
                Interlocked.Increment(ref _dryRunWrites);
                ControlMetrics.Writes.Add(1, _linkTag, new("result", "dry_run"));
                LogDryRun(_logger, Name, setPoint, register, _options.Target.AbsoluteSetPointAddress, reason);
                return new ControlCycle(ControlOutcome.DryRun, reading, conversion, setPoint, register, null, null);
            }
            try
            {
                await _device.WriteSingleRegisterAsync(_options.Target.UnitId, _options.Target.AbsoluteSetPointAddress, register, cancellationToken);
            }
            catch (Exception ex) when (ex is ModbusException or ModbusProtocolException)
            {
                Interlocked.Increment(ref _failedWrites);
                ControlMetrics.Writes.Add(1, _linkTag, new("result", "failed"));
                throw;
            }
            _lastSetPoint = setPoint;
            Interlocked.Increment(ref _writes);
            ControlMetrics.Writes.Add(1, _linkTag, new("result", "written"));
            LogWritten(_logger, Name, setPoint, register, _options.Target.AbsoluteSetPointAddress, reason, Writes);
            var readBack = (await _device.ReadHoldingRegistersAsync(_options.Target.UnitId, _options.Target.AbsoluteSetPointAddress, 1, cancellationToken))[0];
            if (readBack != register)
            {
                ControlMetrics.ReadBackMismatches.Add(1, _linkTag);
                LogReadBackMismatch(_logger, Name, register, readBack);
                _lastSetPoint = readBack / _options.Target.SetPointScale;
            }
            DeviceAnswered();
            return new ControlCycle(ControlOutcome.Written, reading, conversion, setPoint, register, readBack, null);
        }
        catch (Exception ex) when (ex is ModbusException or ModbusProtocolException)
        {
            if (_deviceProblem is null) LogDeviceFailed(_logger, Name, _options.Target.Host, _options.Target.Port, ex.Message);
            _deviceProblem = ex.Message;
            return new ControlCycle(ControlOutcome.DeviceUnavailable, reading, conversion, null, null, null, ex.Message);
        }
    }

    private SourceReading CheckAge(SourceReading reading)
    {
        if (reading.Quality != SourceQuality.Good || _options.MaxSourceAge is not { } maxAge || reading.SourceTimestamp is not { } stamp) return reading;
        var age = _time.GetUtcNow() - stamp;
        return age <= maxAge ? reading : reading with { Quality = SourceQuality.Stale, Problem = $"the value is {age.TotalSeconds:F0} s old (at most {maxAge.TotalSeconds:F0} s allowed)" };
    }

    private double Limit(double from, double target)
    {
        var bounded = Math.Clamp(target, _options.Minimum, _options.Maximum);
        var step = _options.MaxRatePerSecond * _options.Period.TotalSeconds;
        var next = Math.Clamp(bounded, from - step, from + step);
        // The device may hold a value outside the limits (set by hand); the first write still stays inside them.
        return Math.Clamp(next, _options.Minimum, _options.Maximum);
    }

    private async Task<double> ReadSetPointAsync(CancellationToken cancellationToken)
    {
        var value = await _device.ReadHoldingRegistersAsync(_options.Target.UnitId, _options.Target.AbsoluteSetPointAddress, 1, cancellationToken);
        return value[0] / _options.Target.SetPointScale;
    }

    private async Task<string?> InterlockProblemAsync(CancellationToken cancellationToken)
    {
        var enable = _options.Enable;
        if (!enable.Active) return null;
        var address = (ushort)(_options.Target.BaseAddress + enable.Address);
        var word = enable.Table == RegisterTable.Input
            ? await _device.ReadInputRegistersAsync(_options.Target.UnitId, address, 1, cancellationToken)
            : await _device.ReadHoldingRegistersAsync(_options.Target.UnitId, address, 1, cancellationToken);
        DeviceAnswered();
        if ((word[0] & (1 << enable.Bit)) != 0)
        {
            if (_interlocked) LogInterlockCleared(_logger, Name, enable.Name);
            _interlocked = false;
            _lastInterlockLog = null;
            return null;
        }
        _interlocked = true;
        ControlMetrics.InterlockBlocks.Add(1, _linkTag);
        var now = _time.GetUtcNow();
        if (_lastInterlockLog is not { } last || now - last >= _options.InterlockLogInterval)
        {
            _lastInterlockLog = now;
            LogInterlocked(_logger, Name, enable.Name, enable.Bit, word[0]);
        }
        return $"{enable.Name} (bit {enable.Bit}) is clear";
    }

    private void DeviceAnswered()
    {
        if (_deviceProblem is not null) LogDeviceBack(_logger, Name, _options.Target.Host, _options.Target.Port);
        _deviceProblem = null;
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Information, Message = "Control link {Link} starts: {Source} -> {Host}:{Port} unit {Unit} register {Register}, dry run {DryRun}")]
    private static partial void LogStarting(ILogger logger, string link, string source, string host, int port, byte unit, ushort register, bool dryRun);

    [LoggerMessage(EventId = 311, Level = LogLevel.Information, Message = "Control link {Link} stopped after {Writes} writes")]
    private static partial void LogStopped(ILogger logger, string link, long writes);

    [LoggerMessage(EventId = 312, Level = LogLevel.Information, Message = "Control link {Link} wrote {SetPoint} A (register value {Register}) to register {Address}: {Reason}; write {Writes}")]
    private static partial void LogWritten(ILogger logger, string link, double setPoint, ushort register, ushort address, string reason, long writes);

    [LoggerMessage(EventId = 313, Level = LogLevel.Information, Message = "Control link {Link} (dry run) would write {SetPoint} A (register value {Register}) to register {Address}: {Reason}")]
    private static partial void LogDryRun(ILogger logger, string link, double setPoint, ushort register, ushort address, string reason);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Control link {Link}: source {Source} is {Quality} ({Problem}); {Action}")]
    private static partial void LogSourceLost(ILogger logger, string link, string source, SourceQuality quality, string? problem, string action);

    [LoggerMessage(EventId = 315, Level = LogLevel.Information, Message = "Control link {Link}: source {Source} is good again ({Value})")]
    private static partial void LogSourceBack(ILogger logger, string link, string source, double value);

    [LoggerMessage(EventId = 316, Level = LogLevel.Warning, Message = "Control link {Link}: {Flag} (status bit {Bit}) is clear in status word 0x{Status:X4}, so the set point is not written")]
    private static partial void LogInterlocked(ILogger logger, string link, string flag, int bit, ushort status);

    [LoggerMessage(EventId = 317, Level = LogLevel.Information, Message = "Control link {Link}: {Flag} is set again; writing resumes")]
    private static partial void LogInterlockCleared(ILogger logger, string link, string flag);

    [LoggerMessage(EventId = 318, Level = LogLevel.Warning, Message = "Control link {Link}: device {Host}:{Port} failed ({Problem}); nothing is written until it answers")]
    private static partial void LogDeviceFailed(ILogger logger, string link, string host, int port, string problem);

    [LoggerMessage(EventId = 319, Level = LogLevel.Information, Message = "Control link {Link}: device {Host}:{Port} answers again")]
    private static partial void LogDeviceBack(ILogger logger, string link, string host, int port);

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Control link {Link}: read back {ReadBack} after writing {Register}; the device changed or refused the value")]
    private static partial void LogReadBackMismatch(ILogger logger, string link, ushort register, ushort readBack);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "Control link {Link}: requested value {Value} lies outside the curve ({Minimum}..{Maximum}); clamped to the set point {SetPoint}")]
    private static partial void LogOutsideCurve(ILogger logger, string link, double value, double minimum, double maximum, double setPoint);
}
