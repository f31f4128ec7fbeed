using Microsoft.Extensions.Logging;

namespace CallEvents.PostgreSql;

/// <summary>Source-generated log messages of CallEvents.PostgreSql (event ids 41000-41099).</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 41000, EventName = "PostgresSchemaApplying", Level = LogLevel.Information,
        Message = "Applying the Orleans PostgreSQL schema ({ScriptCount} scripts) to {Target}")]
    public static partial void SchemaApplying(ILogger logger, string target, int scriptCount);

    [LoggerMessage(EventId = 41001, EventName = "PostgresSchemaLockWait", Level = LogLevel.Debug,
        Message = "Waiting for the schema advisory lock {LockKey} on {Target}")]
    public static partial void WaitingForSchemaLock(ILogger logger, string target, long lockKey);

    [LoggerMessage(EventId = 41002, EventName = "PostgresSchemaScriptApplied", Level = LogLevel.Debug,
        Message = "Applied schema script {Script} in {ElapsedMilliseconds} ms")]
    public static partial void ScriptApplied(ILogger logger, string script, long elapsedMilliseconds);

    [LoggerMessage(EventId = 41003, EventName = "PostgresSchemaApplied", Level = LogLevel.Information,
        Message = "Orleans PostgreSQL schema is in place on {Target} ({ElapsedMilliseconds} ms)")]
    public static partial void SchemaApplied(ILogger logger, string target, long elapsedMilliseconds);

    [LoggerMessage(EventId = 41004, EventName = "PostgresSchemaLockReleaseFailed", Level = LogLevel.Warning,
        Message = "Releasing the schema advisory lock failed; closing the connection releases it")]
    public static partial void SchemaLockReleaseFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 41005, EventName = "PostgresUnreachableRetrying", Level = LogLevel.Warning,
        Message = "PostgreSQL {Target} is not reachable (attempt {Attempt} of {MaxAttempts}); retrying in {RetryDelay}")]
    public static partial void UnreachableRetrying(
        ILogger logger, Exception exception, string target, int attempt, int maxAttempts, TimeSpan retryDelay);

    [LoggerMessage(EventId = 41006, EventName = "PostgresSchemaStartupFailed", Level = LogLevel.Error,
        Message = "The Orleans PostgreSQL schema could not be applied to {Target}; the silo will not start")]
    public static partial void StartupFailed(ILogger logger, Exception exception, string target);
}
