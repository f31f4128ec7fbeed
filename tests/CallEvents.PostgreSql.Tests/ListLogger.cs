using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CallEvents.PostgreSql.Tests;

/// <summary>An <see cref="ILogger"/> that records entries so tests can wait for or assert on them.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, eventId, formatter(state, exception)));

    public bool Has(int eventId) => Entries.Any(e => e.EventId.Id == eventId);
}
