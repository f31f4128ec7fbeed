using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Ingress;

/// <summary>
/// Calls grains with the ingress deadline and turns every failure behind the HTTP surface (a timeout, an unreachable
/// silo, storage trouble, an exception from the grain) into a typed outcome, so HTTP handlers answer 503 (retry)
/// instead of 500. Each failure is one short log line; bursts are summarized, never one stack trace per request.
/// </summary>
public sealed class GrainGateway(IGrainFactory grains, IOptions<IngressOptions> options, [FromKeyedServices(CallEventClock.Key)] TimeProvider time, ILogger<GrainGateway> logger)
{
    private static readonly TimeSpan DigestPeriod = TimeSpan.FromSeconds(10);
    private readonly LogDigest _digest = new(time, DigestPeriod);

    /// <summary>Routes an event to its grain; a timeout or an unreachable grain yields <see cref="IngestStatus.NotStored"/>.</summary>
    public async Task<IngestResult> IngestAsync(IncomingEvent incoming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var call = incoming.Entity == EntityKind.Call
            ? grains.GetGrain<ICallGrain>(GrainKeys.Call(incoming.Source, incoming.EntityId)).IngestAsync(incoming)
            : grains.GetGrain<IWorkflowExecutionGrain>(GrainKeys.Workflow(incoming.Source, incoming.EntityId)).IngestAsync(incoming);
        var answer = await WithDeadlineAsync<IngestResult>(call!, $"{incoming.Source}/{incoming.EntityId}", cancellationToken);
        return answer.Value ?? new IngestResult(IngestStatus.NotStored, 0, answer.Failure);
    }

    /// <summary>Runs a grain read with the deadline; <see cref="GrainAnswer{T}.Failure"/> says why it had no answer.</summary>
    public Task<GrainAnswer<T>> QueryAsync<T>(Func<IGrainFactory, Task<T?>> query, string what, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(query);
        return WithDeadlineAsync(query(grains), what, cancellationToken);
    }

    /// <summary>The <c>Retry-After</c> seconds for 503 answers.</summary>
    public int RetryAfterSeconds => options.Value.RetryAfterSeconds;

    private async Task<GrainAnswer<T>> WithDeadlineAsync<T>(Task<T?> call, string what, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return new GrainAnswer<T>(await call.WaitAsync(options.Value.GrainCallTimeout, cancellationToken), null);
        }
        catch (TimeoutException)
        {
            // The grain may still finish and commit; the provider's retry is then answered as a duplicate.
            IngressMessages.GrainTimedOut(logger, what, options.Value.GrainCallTimeout);
            Digest("TimeoutException", $"no answer within {options.Value.GrainCallTimeout}");
            return new GrainAnswer<T>(null, "the cluster did not answer in time; retry later");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; nobody reads this answer.
            return new GrainAnswer<T>(null, "the request was aborted");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever went wrong behind the surface (storage down, a silo lost, an exception in the grain), the
            // provider must retry, so it is a 503; the journal reports storage outages once by itself.
            var error = ex.GetType().Name;
            IngressMessages.GrainUnavailable(logger, what, error, ex.Message);
            Digest(error, ex.Message);
            return new GrainAnswer<T>(null, "the cluster is unavailable; retry later");
        }
    }

    /// <summary>At most one warning per period for 503s behind the surface, with how many there were.</summary>
    private void Digest(string error, string reason)
    {
        if (_digest.Count("unavailable") is > 0 and var count)
        {
            DigestMessages.Summary(logger, count, "answered 503 because the cluster could not answer", DigestPeriod, $"{error}: {reason}");
        }
    }
}

/// <summary>A grain's answer, or why there was none.</summary>
public readonly record struct GrainAnswer<T>(T? Value, string? Failure)
    where T : class
{
    /// <summary>True when the grain did not answer (timeout, cluster unavailable).</summary>
    public bool Unavailable => Failure is not null;
}
