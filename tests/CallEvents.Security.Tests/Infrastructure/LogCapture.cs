using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>Keeps every log line a host writes, to check what it says (and what it never says).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Lines => [.. _lines];

    public string Text => string.Join('\n', _lines.Select(l => $"{l.Level} {l.Id.Id}: {l.Message}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, eventId, formatter(state, exception) + (exception is null ? "" : $" {exception}")));
    }
}
