using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Configuration;
using Serilog.Sinks.Async;

namespace ThermalPlant.Hosting;

/// <summary>
/// The console sink behind a bounded buffer that a thread of its own empties (Serilog.Sinks.Async), so that a thread
/// that logs, a socket thread of the OPC UA server among them, never waits for the console: a stdout that stops taking
/// lines (a pipe nobody reads, a stopped terminal) fills the buffer, and the events that come while it is full are
/// dropped, not waited for. Drops are counted (<c>thermalplant_log_events_dropped_total</c>, at each check) and told
/// by a warning once the buffer is less than half full again. The buffer is written out when the logger is disposed
/// (the host's shutdown, <see cref="Log.CloseAndFlush"/>), which waits for the console as long as it takes.
/// </summary>
public sealed partial class LogBuffer : IAsyncLogEventSinkMonitor, IDisposable
{
    /// <summary>Events the buffer holds: about 5 MB at the usual line of a few hundred bytes.</summary>
    public const int DefaultCapacity = 10_000;

    private static readonly Meter Meter = new("ThermalPlant.Hosting");
    private static readonly Counter<long> DroppedEvents = Meter.CreateCounter<long>("thermalplant_log_events_dropped_total", description: "Log events dropped because the console did not take them as fast as they came");

    private readonly TimeProvider _time;
    private readonly TimeSpan _checkInterval;
    private readonly Lock _lock = new();
    private IAsyncLogEventSinkInspector? _inspector;
    private ITimer? _timer;
    private Microsoft.Extensions.Logging.ILogger? _logger;
    private long _counted;
    private long _reported;

    /// <summary>A buffer of <paramref name="capacity"/> events whose drops are looked at every <paramref name="checkInterval"/>.</summary>
    public LogBuffer(TimeProvider time, TimeSpan checkInterval, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(checkInterval, TimeSpan.Zero);
        _time = time;
        _checkInterval = checkInterval;
        Capacity = capacity;
    }

    /// <summary>The most events the buffer holds.</summary>
    public int Capacity { get; }

    /// <summary>Events dropped since the logger started, as of the last check.</summary>
    public long Dropped
    {
        get
        {
            lock (_lock) return _counted;
        }
    }

    /// <summary>Sends <paramref name="sink"/>'s events through this buffer (one logger per buffer).</summary>
    public LoggerConfiguration WriteTo(LoggerSinkConfiguration to, Action<LoggerSinkConfiguration> sink)
    {
        ArgumentNullException.ThrowIfNull(to);
        return to.Async(sink, Capacity, blockWhenFull: false, monitor: this);
    }

    /// <summary>Where the warning about dropped events goes (through the buffer itself, once it has room); the host sets it.</summary>
    public void UseLogger(Microsoft.Extensions.Logging.ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        Volatile.Write(ref _logger, logger);
    }

    /// <summary>Counts the drops since the last check and, when the buffer has room again, tells of them.</summary>
    public void Check()
    {
        long fresh;
        long unreported = 0;
        var logger = Volatile.Read(ref _logger);
        lock (_lock)
        {
            if (_inspector is not { } inspector) return;
            var dropped = inspector.DroppedMessagesCount;
            fresh = dropped - _counted;
            _counted = dropped;
            // While the buffer is full the warning would be dropped too.
            if (dropped > _reported && logger is not null && inspector.Count < inspector.BufferSize / 2)
            {
                unreported = dropped - _reported;
                _reported = dropped;
            }
        }
        if (fresh > 0) DroppedEvents.Add(fresh);
        if (unreported > 0) LogDropped(logger!, unreported, Capacity);
    }

    /// <inheritdoc/>
    void IAsyncLogEventSinkMonitor.StartMonitoring(IAsyncLogEventSinkInspector inspector)
    {
        lock (_lock)
        {
            _inspector = inspector;
            _timer ??= _time.CreateTimer(static state => ((LogBuffer)state!).Check(), this, _checkInterval, _checkInterval);
        }
    }

    /// <inheritdoc/>
    void IAsyncLogEventSinkMonitor.StopMonitoring(IAsyncLogEventSinkInspector inspector)
    {
        // The sink is written out: its last drops are counted, and the logger is gone.
        Check();
        lock (_lock)
        {
            _inspector = null;
            _timer?.Dispose();
            _timer = null;
        }
    }

    /// <summary>Stops the checks.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "{Dropped} log events were dropped: the console did not take lines as fast as they came and the buffer of {Capacity} events was full. Logging goes on; thermalplant_log_events_dropped_total counts them")]
    private static partial void LogDropped(Microsoft.Extensions.Logging.ILogger logger, long dropped, int capacity);
}
