using System.Threading.Channels;

namespace CallEvents.PostgreSql;

/// <summary>A request that joins a group: failed as a whole when its group's flush fails.</summary>
internal interface IGroupRequest
{
    /// <summary>Requests with the same non-null key never share a group (a stream is written at most once per statement).</summary>
    string? ExclusiveKey { get; }

    void Fail(Exception exception);
}

/// <summary>
/// Group commit: requests from every grain of a silo queue here, and one loop hands them to the flush in groups. While a
/// flush is in flight the next group gathers; there is no fixed delay, so at low load a lone request is flushed at once
/// and under load each flush carries everything that arrived meanwhile (up to <c>maxBatch</c>). The flush completes or
/// fails every request of its group; if it throws, the whole group fails, never part of it silently.
/// </summary>
internal sealed class GroupCommitQueue<TRequest> : IAsyncDisposable
    where TRequest : class, IGroupRequest
{
    private readonly Channel<TRequest> _queue = Channel.CreateUnbounded<TRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<List<TRequest>, Task> _flush;
    private readonly Func<Exception, Exception> _failure;
    private readonly int _maxBatch;
    private readonly Task _loop;

    /// <param name="flush">Writes one group and completes each request in it.</param>
    /// <param name="failure">What the requests of a group whose flush threw fail with.</param>
    /// <param name="maxBatch">The most requests in one group.</param>
    public GroupCommitQueue(Func<List<TRequest>, Task> flush, Func<Exception, Exception> failure, int maxBatch)
    {
        _flush = flush;
        _failure = failure;
        _maxBatch = maxBatch;
        // The loop serves every caller: it must not inherit the execution context (the trace) of whoever created it.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>Queues a request; false once the queue is shutting down.</summary>
    public bool TryEnqueue(TRequest request) => _queue.Writer.TryWrite(request);

    /// <summary>Stops taking requests, flushes every request already queued, and returns when the last flush ended.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var group = new List<TRequest>(_maxBatch);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var deferred = new Queue<TRequest>();
        var again = new List<TRequest>();
        while (deferred.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            keys.Clear();
            again.Clear();

            // Requests deferred from the last group go first, so one key's requests keep their order.
            while (group.Count < _maxBatch && deferred.TryDequeue(out var request))
            {
                Join(request);
            }

            while (group.Count < _maxBatch && _queue.Reader.TryRead(out var request))
            {
                Join(request);
            }

            foreach (var request in again)
            {
                deferred.Enqueue(request);
            }

            try
            {
                await _flush(group).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                var failure = _failure(ex);
                foreach (var request in group)
                {
                    request.Fail(failure);
                }
            }
        }

        void Join(TRequest request)
        {
            if (request.ExclusiveKey is { } key && !keys.Add(key))
            {
                again.Add(request);
            }
            else
            {
                group.Add(request);
            }
        }
    }
}
