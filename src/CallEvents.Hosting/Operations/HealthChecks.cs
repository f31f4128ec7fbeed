using System.Text.Json;
using CallEvents.Ingress;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Runtime;

namespace CallEvents.Hosting.Operations;

/// <summary>The tags of the two probes.</summary>
public static class HealthTags
{
    /// <summary><c>/health/live</c>: the process is up.</summary>
    public const string Live = "live";

    /// <summary><c>/health/ready</c>: this silo can take traffic.</summary>
    public const string Ready = "ready";
}

/// <summary>Live: the process answers HTTP.</summary>
internal sealed class ProcessCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy("the process is running"));
}

/// <summary>Ready: not shutting down.</summary>
internal sealed class DrainCheck(ServiceDrain drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.IsDraining ? HealthCheckResult.Unhealthy("shutting down") : HealthCheckResult.Healthy("accepting work"));
}

/// <summary>Ready: this silo is an active member of its cluster.</summary>
internal sealed class SiloCheck(ISiloStatusOracle oracle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = oracle.CurrentStatus;
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy("the silo is active in the cluster")
            : HealthCheckResult.Unhealthy($"the silo is {status}"));
    }
}

/// <summary>
/// Ready: the storage answers. PostgreSQL mode runs <c>SELECT 1</c> on a small pool of its own (so a broken connection
/// of the busy pools is not what it measures) with a short timeout; embedded mode has nothing to ask.
/// </summary>
internal sealed class StorageCheck(StorageProbe probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (probe.DataSource is not { } dataSource)
        {
            return HealthCheckResult.Healthy("in-memory storage (embedded mode)");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StorageProbe.Timeout);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or IOException or InvalidOperationException)
        {
            // The exception's type only: its message may name the server.
            return HealthCheckResult.Unhealthy($"PostgreSQL does not answer ({ex.GetType().Name})");
        }
    }
}

/// <summary>The readiness probe's own connection pool (PostgreSQL mode), or none.</summary>
internal sealed class StorageProbe : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public StorageProbe(string? connectionString)
    {
        if (HostMode.StorageFor(connectionString) == StorageMode.PostgreSql)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = 2,
                MinPoolSize = 0,
                Timeout = (int)Timeout.TotalSeconds,
                CommandTimeout = (int)Timeout.TotalSeconds,
                ApplicationName = "callevents-health",
            };
            DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    public NpgsqlDataSource? DataSource { get; }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }
    }
}

/// <summary>The probes' JSON answer: the overall status and each check's name, status and description.</summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new { name = e.Key, status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
