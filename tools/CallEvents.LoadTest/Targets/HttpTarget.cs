using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CallEvents.LoadTest.Verification;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Targets;

/// <summary>
/// Delivers with <c>POST {url}{path}</c> (path <c>/webhooks/{source}</c> by default), round-robin over the given
/// base URLs, with the provider's headers; reads snapshots with <c>GET /calls/{source}/{id}</c> and
/// <c>GET /workflows/{id}</c>, and, when the host has <see cref="TallyFollowUpGrain"/> registered (an in-process
/// host: <c>tallyRegistered</c>), the tally's decisions with <c>GET …/follow-ups</c>; otherwise decisions are not
/// observable and the verdict does not check them.
/// </summary>
public sealed class HttpTarget : IDeliveryTarget, IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] DuplicateMarker = "\"duplicate\":true"u8.ToArray();

    private readonly HttpClient _client;
    private readonly Uri[] _bases;
    private readonly string _pathTemplate;
    private readonly TimeSpan _timeout;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _queryHeaders;
    private readonly bool _tallyRegistered;
    private long _next;
    private long _unavailableWithoutRetryAfter;

    /// <summary>503 answers that did not say when to retry (the contract says every 503 does).</summary>
    public long UnavailableWithoutRetryAfter => Interlocked.Read(ref _unavailableWithoutRetryAfter);

    public HttpTarget(
        IReadOnlyList<Uri> bases,
        TimeSpan timeout,
        int connections,
        string pathTemplate = "/webhooks/{source}",
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        IReadOnlyList<KeyValuePair<string, string>>? queryHeaders = null,
        bool tallyRegistered = false)
    {
        ArgumentNullException.ThrowIfNull(bases);
        if (bases.Count == 0)
        {
            throw new ArgumentException("At least one URL is needed.", nameof(bases));
        }

        _bases = [.. bases];
        _timeout = timeout;
        _pathTemplate = pathTemplate;
        _headers = headers ?? [];
        _queryHeaders = queryHeaders ?? [];
        _tallyRegistered = tallyRegistered;
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Which base URLs take deliveries now, as a load balancer's health check would say (null: all); a delivery goes
    /// to the next accepting one in the rotation, or to its own when none accepts.
    /// </summary>
    public Func<Uri, bool>? Accepting { get; set; }

    public string Description => $"HTTP POST {string.Join(", ", _bases.Select(b => b.ToString().TrimEnd('/') + _pathTemplate))}";

    public async Task<AttemptResult> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var index = (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_bases.Length);
        for (var tries = 1; tries < _bases.Length && Accepting is { } accepting && !accepting(_bases[index]); tries++)
        {
            index = (index + 1) % _bases.Length;
        }

        var uri = new Uri(_bases[index], _pathTemplate.Replace("{source}", delivery.Entity.Source, StringComparison.Ordinal));
        using var content = new ByteArrayContent(delivery.Body);
        content.Headers.ContentType = Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        foreach (var (name, value) in delivery.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        foreach (var (name, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
                return AttemptResult.Ack(body.AsSpan().IndexOf(DuplicateMarker) >= 0);
            }

            if (status == 503 && response.Headers.RetryAfter is null)
            {
                Interlocked.Increment(ref _unavailableWithoutRetryAfter);
            }

            var kind = $"http {status}";
            return status switch
            {
                429 => new AttemptResult(AttemptOutcome.RetryNotProcessed, kind),
                408 or >= 500 => new AttemptResult(AttemptOutcome.RetryUncertain, kind),
                _ => new AttemptResult(AttemptOutcome.Rejected, kind),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(AttemptOutcome.RetryUncertain, "http timeout");
        }
        catch (HttpRequestException ex)
        {
            return new AttemptResult(AttemptOutcome.RetryUncertain, $"HttpRequestException ({ex.HttpRequestError})");
        }
    }

    public async Task<ObservedSnapshot?> ReadAsync(EntityModel entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var index = (int)((ulong)Interlocked.Increment(ref _next) % (ulong)_bases.Length);
        var path = entity.IsWorkflow
            ? $"/workflows/{Uri.EscapeDataString(entity.EntityId)}"
            : $"/calls/{entity.Source}/{Uri.EscapeDataString(entity.EntityId)}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        using var snapshot = await GetAsync(index, path, deadline.Token);
        if (snapshot is null)
        {
            return null;
        }

        var observed = SnapshotMapping.FromJson(snapshot.RootElement, entity.IsWorkflow);
        if (!_tallyRegistered)
        {
            return observed;
        }

        // 404 only when there is neither a follow-up record nor the entity; it exists, so 404 would mean "none".
        using var followUps = await GetAsync(index, path + "/follow-ups", deadline.Token);
        return SnapshotMapping.WithDecisions(observed, followUps is null ? [] : SnapshotMapping.TallyDecisionsFromJson(followUps.RootElement));
    }

    /// <summary>GETs JSON with the query headers; null on 404.</summary>
    private async Task<JsonDocument?> GetAsync(int index, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_bases[index], path));
        foreach (var (name, value) in _queryHeaders)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _client.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {path} answered {(int)response.StatusCode}", null, response.StatusCode);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    public void Dispose() => _client.Dispose();
}
