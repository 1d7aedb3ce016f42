using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ThermalPlant.Control.Tests;

/// <summary>Keeps the formatted log lines of the code under test, so that what it logs (and how often) can be checked.</summary>
internal sealed class LogCollector<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, EventId Event, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public int Count(int eventId) => Entries.Count(e => e.Event.Id == eventId);
}
