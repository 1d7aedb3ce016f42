using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using ThermalPlant.Hosting;

namespace ThermalPlant.OpcServer.Tests;

/// <summary>
/// The services' console log goes through a bounded buffer (<see cref="LogBuffer"/>): a console that stops taking lines
/// must not stall the thread that logs, a socket thread of the OPC UA server among them (issue 17).
/// </summary>
public sealed class LogBufferTests
{
    private static readonly TimeSpan Check = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_console_that_takes_no_lines_stalls_no_thread_that_logs_and_the_dropped_events_are_counted_and_told()
    {
        using var console = new StuckConsole();
        using var buffer = new LogBuffer(_time, Check, capacity: 4);
        var told = new ListLogger();
        buffer.UseLogger(told);
        using var metric = new DropMetric();
        var logger = Logger(buffer, console);
        try
        {
            logger.Information("first");
            Assert.True(console.Writing.Wait(TimeSpan.FromSeconds(30)), "the buffer's thread never reached the console");
            var thread = new Thread(() =>
            {
                for (var i = 0; i < 100; i++) logger.Information("line {Number}", i);
            });
            thread.Start();
            // Each line would wait for the console otherwise: the thread would never end.
            Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "a thread that logs waited for the console");

            // The console holds the first line, the buffer four, the other 96 are dropped; told once the console takes lines again.
            _time.Advance(Check);
            Assert.Equal(96, buffer.Dropped);
            Assert.Equal(96, metric.Total);
            Assert.Empty(told.Lines);
            console.Release();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (console.Lines.Count < 5 && DateTime.UtcNow < deadline) await Task.Delay(10);
            _time.Advance(Check);
            Assert.Contains("96 log events were dropped", Assert.Single(told.Lines), StringComparison.Ordinal);
            Assert.Equal(["first", "line 0", "line 1", "line 2", "line 3"], console.Lines);

            // No new drops: nothing counted or told again.
            _time.Advance(Check);
            Assert.Equal(96, metric.Total);
            Assert.Single(told.Lines);
        }
        finally
        {
            // A failed test must not leave the close waiting for the console.
            console.Release();
            await logger.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_lines_logged_before_shutdown_are_written_out_when_the_logger_is_closed()
    {
        using var console = new StuckConsole();
        using var buffer = new LogBuffer(_time, Check, capacity: 100);
        var logger = Logger(buffer, console);
        for (var i = 0; i < 50; i++) logger.Information("line {Number}", i);
        Assert.True(console.Writing.Wait(TimeSpan.FromSeconds(30)));

        // As the host's shutdown does (Log.CloseAndFlush): the close waits for the console.
        var closing = Task.Run(logger.Dispose);
        console.Release();
        await closing.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"line {i}"), console.Lines);
        Assert.Equal(0, buffer.Dropped);
    }

    private static Logger Logger(LogBuffer buffer, StuckConsole console) =>
        buffer.WriteTo(new LoggerConfiguration().WriteTo, to => to.Sink(console)).CreateLogger();

    /// <summary>A console whose writes block, as a stdout pipe that nobody reads, until released.</summary>
    private sealed class StuckConsole : ILogEventSink, IDisposable
    {
        private readonly ManualResetEventSlim _released = new();

        public ManualResetEventSlim Writing { get; } = new();

        public ConcurrentQueue<string> Lines { get; } = new();

        public void Emit(LogEvent logEvent)
        {
            Writing.Set();
            _released.Wait();
            Lines.Enqueue(logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
        }

        public void Release() => _released.Set();

        public void Dispose()
        {
            _released.Set();
            _released.Dispose();
            Writing.Dispose();
        }
    }

    /// <summary>What <c>thermalplant_log_events_dropped_total</c> counted while this lives.</summary>
    private sealed class DropMetric : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public DropMetric()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "thermalplant_log_events_dropped_total") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
