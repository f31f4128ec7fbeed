using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Xunit.Abstractions;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>
/// Thousands of generated hostile requests against every endpoint of a secured host. Replay a failure with
/// <c>CALLEVENTS_FUZZ_SEED=&lt;seed&gt;</c> or <c>CALLEVENTS_TEST_SEED</c> (and <c>CALLEVENTS_FUZZ_CASES=&lt;n&gt;</c> for more or fewer cases); each
/// failure prints its seed, case number, headers and base64 body.
/// </summary>
public sealed class HostileInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Managed-heap growth allowed after the warm-up: a fixed allowance for what pools keep (ArrayPool buckets for the
    // megabyte bodies, Kestrel's block pool), plus what the host must keep for what it accepted: each stored event
    // holds its raw body and parsed state, and each new call or execution is a grain activation.
    private const long FixedAllowance = 96L * 1024 * 1024;
    private const int AcceptedBytesFactor = 8;
    private const long PerAcceptedDelivery = 16 * 1024;
    private const int Parallelism = 4;

    private SecureHost? _host;

    private SecureHost Host => _host!;

    public async Task InitializeAsync() =>
        _host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1000000", "--Security:RateLimit:Burst=1000000", "--Security:RateLimit:UnverifiedPermitsPerSecond=1000000"]);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task Thousands_of_malformed_requests_get_no_5xx_leave_other_calls_alone_and_memory_bounded()
    {
        var seed = TestSeed.Choose(output, "CALLEVENTS_FUZZ_SEED");
        var cases = int.TryParse(Environment.GetEnvironmentVariable("CALLEVENTS_FUZZ_CASES"), CultureInfo.InvariantCulture, out var n) ? n : 5000;
        output.WriteLine($"hostile-input seed {seed}, {cases} cases (replay: CALLEVENTS_FUZZ_SEED={seed})");

        var sentinels = await CreateSentinelsAsync();
        var before = await ReadAsync(sentinels);

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<string, int>();
        var unanswered = new ConcurrentDictionary<string, int>();
        long acceptedBytes = 0;
        long acceptedDeliveries = 0;
        async Task RunAsync(IEnumerable<int> indexes) =>
            await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (index, _) =>
            {
                var hostile = HostileCases.Generate(seed, index);
                var (status, body, sent) = await SendAsync(hostile);
                statuses.AddOrUpdate(status?.ToString(CultureInfo.InvariantCulture) ?? "no answer", 1, (_, c) => c + 1);
                if (status is null)
                {
                    unanswered.AddOrUpdate(hostile.Kind, 1, (_, c) => c + 1);
                }

                var problem = Judge(hostile, status, body);
                if (problem is not null)
                {
                    failures.Enqueue($"{problem}: {hostile.Describe(seed, sent)}");
                }
                else if (status is >= 200 and < 300)
                {
                    Interlocked.Add(ref acceptedBytes, hostile.Body.Length);
                    Interlocked.Increment(ref acceptedDeliveries);
                }
            });

        // The first fifth warms up what the host pools and caches (buffers, Kestrel's memory pool, JIT), so the
        // measured rest shows what hostile input leaves behind.
        var clock = Stopwatch.StartNew();
        var warmUp = cases / 5;
        await RunAsync(Enumerable.Range(0, warmUp));
        var heapBefore = SettledHeap();
        var workingSetBefore = Environment.WorkingSet;
        var acceptedBeforeMeasure = Interlocked.Read(ref acceptedBytes);
        var deliveriesBeforeMeasure = Interlocked.Read(ref acceptedDeliveries);
        await RunAsync(Enumerable.Range(warmUp, cases - warmUp));
        var elapsed = clock.Elapsed;
        var measuredAccepted = Interlocked.Read(ref acceptedBytes) - acceptedBeforeMeasure;
        var measuredDeliveries = Interlocked.Read(ref acceptedDeliveries) - deliveriesBeforeMeasure;

        var heapAfter = SettledHeap();
        var workingSetAfter = Environment.WorkingSet;
        var after = await ReadAsync(sentinels);
        output.WriteLine($"{cases} requests in {elapsed.TotalSeconds:0.0} s; answers: {string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}×{p.Value}"))}");
        output.WriteLine($"no answer (connection closed) by kind: {string.Join(", ", unanswered.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}×{p.Value}"))}");
        output.WriteLine($"after warm-up: managed heap {heapBefore / 1048576.0:0.0} → {heapAfter / 1048576.0:0.0} MiB; working set {workingSetBefore / 1048576.0:0} → {workingSetAfter / 1048576.0:0} MiB; accepted {measuredDeliveries} deliveries, {measuredAccepted / 1048576.0:0.00} MiB");

        Assert.True(failures.IsEmpty, $"{failures.Count} hostile requests were mishandled (seed {seed}):\n" + string.Join("\n\n", failures.Take(20)));
        Assert.Equal(before, after);
        var allowed = FixedAllowance + (AcceptedBytesFactor * measuredAccepted) + (PerAcceptedDelivery * measuredDeliveries);
        Assert.True(
            heapAfter - heapBefore <= allowed,
            $"the managed heap grew by {(heapAfter - heapBefore) / 1048576.0:0.0} MiB, over the bound of {allowed / 1048576.0:0.0} MiB (96 MiB + {AcceptedBytesFactor} × {measuredAccepted} accepted bytes + 16 KiB × {measuredDeliveries} accepted deliveries)");

        // Still serving, and still enforcing.
        var callId = $"after-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, callId, OrgA), VerbexA)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/calls/verbex/{callId}", OperatorKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, callId + "-2", OrgA), [])).StatusCode);
    }

    /// <summary>Null when the answer is acceptable for hostile input, else what is wrong with it.</summary>
    private static string? Judge(HostileCase hostile, int? status, string body)
    {
        // The one 5xx that is the right answer to a client: Kestrel's 505 to a request line naming HTTP/9.9.
        var unsupportedVersion = status == 505 && hostile.Raw is { } raw && !Encoding.ASCII.GetString(raw).Split("\r\n")[0].EndsWith("HTTP/1.1", StringComparison.Ordinal);
        if (status is >= 500 && !unsupportedVersion)
        {
            return $"answered {status}";
        }

        // A client that closes its side mid-request may get no answer; a complete request always gets one.
        if (status is null && !hostile.HalfClose)
        {
            return "closed the connection without answering";
        }

        if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal))
        {
            return $"answered {status} with internals in the body: {body[..Math.Min(body.Length, 500)]}";
        }

        return AllSecrets.FirstOrDefault(secret => body.Contains(secret, StringComparison.Ordinal)) is { } echoed
            ? $"answered {status} echoing a secret ({echoed.Length} chars)"
            : null;
    }

    private async Task<(int? Status, string Body, IReadOnlyList<(string Name, string Value)> Sent)> SendAsync(HostileCase hostile)
    {
        if (hostile.Raw is { } raw)
        {
            try
            {
                return (await RawHttp.SendAsync(Host.BaseAddress, raw, hostile.HalfClose, TimeSpan.FromSeconds(20)), "", []);
            }
            catch (OperationCanceledException)
            {
                return (599, "no answer within 20 s: the server hung on this request", []);
            }
        }

        var headers = hostile.Headers.ToList();
        if (hostile.Sign is { } sign)
        {
            var timestamp = DateTimeOffset.UtcNow.AddSeconds(sign.TimestampOffsetSeconds).ToUnixTimeSeconds();
            headers.Add(("webhook-id", sign.Id));
            headers.Add(("webhook-timestamp", sign.SpoilTimestamp ?? timestamp.ToString(CultureInfo.InvariantCulture)));
            headers.Add(("webhook-signature", sign.SpoilSignature ?? StandardWebhookSigner.Signature(sign.Key, sign.Id, timestamp, hostile.Body)));
        }

        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), hostile.Path);
        if (hostile.Body.Length > 0 || hostile.ContentType is not null)
        {
            request.Content = new ByteArrayContent(hostile.Body);
            request.Content.Headers.ContentType = null;
            if (hostile.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType);
            }
        }

        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        try
        {
            using var response = await Host.Http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), headers);
        }
        catch (HttpRequestException ex) when (hostile.Body.Length > 1024 * 1024)
        {
            // The host answers 413 from Content-Length without reading an oversized body, then closes the
            // connection; HttpClient, still sending, may see that as a reset instead of reading the 413.
            return (413, ex.Message.Replace("Exception", "exception", StringComparison.Ordinal), headers);
        }
        catch (HttpRequestException ex)
        {
            return (598, $"transport failure: {ex.Message}", headers);
        }
    }

    private async Task<(string Verbex, string Unbound, string SubVerse, string Workflow)> CreateSentinelsAsync()
    {
        var id = Guid.NewGuid().ToString("N");
        var sentinels = ($"sentinel-a-{id}", $"sentinel-u-{id}", $"sentinel-s-{id}", $"sentinel-w-{id}");
        await ExpectOkAsync(Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", sentinels.Item1, $"{sentinels.Item1}-1", OrgA), VerbexA));
        await ExpectOkAsync(Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", sentinels.Item1, $"{sentinels.Item1}-2", OrgA, 1762670299m), VerbexA));
        await ExpectOkAsync(Host.PostAsync("verbex", Payloads.Verbex("callAnalysis.pcaCompleted", sentinels.Item2, $"{sentinels.Item2}-1", null), VerbexUnbound));
        var call = Payloads.SubVerseCall("call.placed", sentinels.Item3, Payloads.At);
        await ExpectOkAsync(Host.PostAsync("subverse", call, SubVerse(call)));
        var workflow = Payloads.SubVerseWorkflow("workflow.started", sentinels.Item4, Payloads.At);
        await ExpectOkAsync(Host.PostAsync("subverse", workflow, SubVerse(workflow)));
        return sentinels;
    }

    private async Task<string> ReadAsync((string Verbex, string Unbound, string SubVerse, string Workflow) sentinels)
    {
        var text = new StringBuilder();
        foreach (var path in new[]
        {
            $"/calls/verbex/{sentinels.Verbex}", $"/calls/verbex/{sentinels.Verbex}/events", $"/calls/verbex/{sentinels.Unbound}",
            $"/calls/verbex/{sentinels.Unbound}/events", $"/calls/subverse/{sentinels.SubVerse}", $"/calls/subverse/{sentinels.SubVerse}/events",
            $"/workflows/{sentinels.Workflow}", $"/workflows/{sentinels.Workflow}/events",
        })
        {
            var response = await Host.GetAsync(path, OperatorKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text.Append(path).Append(": ").AppendLine(await response.Content.ReadAsStringAsync());
        }

        return text.ToString();
    }

    private static async Task ExpectOkAsync(Task<HttpResponseMessage> post)
    {
        var response = await post;
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"a sentinel delivery was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    private static long SettledHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
