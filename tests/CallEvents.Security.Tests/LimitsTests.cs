using System.Diagnostics;
using System.Net;
using CallEvents.Security.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>Per-source rate limits, the per-entity in-flight bound and Kestrel's request limits.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task A_source_over_its_rate_limit_gets_429_with_Retry_After_and_other_sources_are_unaffected()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=3", "--Security:RateLimit:UnverifiedPermitsPerSecond=1"]);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
        {
            answers.Add(await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"rl-{Guid.NewGuid():N}", $"t-{i}-{Guid.NewGuid():N}", null), VerbexUnbound));
        }

        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(limited);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        var rejected = limited[0];
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "a 429 carries Retry-After in seconds");
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, (await Payloads.JsonAsync(rejected))["status"]!.GetValue<int>());

        var body = Payloads.SubVerseCall("call.placed", $"rl-{Guid.NewGuid():N}", Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", body, SubVerse(body))).StatusCode);
    }

    [Fact]
    public async Task A_flood_of_forged_requests_does_not_use_up_the_real_providers_budget()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=5", "--Security:RateLimit:UnverifiedPermitsPerSecond=1"]);
        var forged = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            forged.Add((await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", "victim", $"t-{i}", null), [("X-API-Key", $"guess-{i}-guess-guess")])).StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, forged);
        Assert.DoesNotContain(HttpStatusCode.OK, forged);
        var real = await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"real-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", OrgA), VerbexA);
        Assert.Equal(HttpStatusCode.OK, real.StatusCode);
    }

    [Fact]
    public async Task One_hot_call_cannot_hold_more_than_its_share_and_other_calls_go_on()
    {
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--Security:Limits:MaxConcurrentPerEntity=2", "--Ingress:RetryAfterSeconds=3"],
            configureSilo: silo => silo.Services.AddKeyedSingleton<IGrainStorage>(Names.GrainStorage, (sp, _) =>
                new SlowStorage(sp.GetRequiredService<Orleans.Serialization.Serializer>())));

        var hot = $"slow-{Guid.NewGuid():N}";
        var deliveries = Enumerable.Range(0, 6)
            .Select(i => host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", hot, $"t-{i}-{hot}", null), VerbexUnbound))
            .ToList();
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        var other = await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"cool-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null), VerbexUnbound);
        var otherTook = clock.Elapsed;
        var answers = await Task.WhenAll(deliveries);

        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.True(otherTook < TimeSpan.FromSeconds(1), $"another call waited {otherTook} behind the hot one");
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.True(busy.Count >= 3, $"expected at least 3 of 6 concurrent deliveries refused, got {string.Join(", ", answers.Select(a => (int)a.StatusCode))}");
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        Assert.Equal(TimeSpan.FromSeconds(3), busy[0].Headers.RetryAfter?.Delta);

        // The refused deliveries are retried later (as a provider does on 5xx) and then accepted.
        foreach (var i in Enumerable.Range(0, 6).Where(i => answers[i].StatusCode == HttpStatusCode.ServiceUnavailable))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", hot, $"t-{i}-{hot}", null), VerbexUnbound)).StatusCode);
        }

        Assert.Equal(6, (await Payloads.JsonAsync(await host.GetAsync($"/calls/verbex/{hot}", OperatorKey)))["eventCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_request_still_arriving_at_the_request_timeout_gets_503_with_Retry_After()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:Limits:RequestTimeout=00:00:05", "--Ingress:RetryAfterSeconds=4"]);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
        var body = Payloads.Verbex("CallHandler.CallStarted", $"slowloris-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"POST /webhooks/verbex HTTP/1.1\r\nHost: x\r\nAuthorization: {VerbexBearer}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"));

        // Fast enough for Kestrel's minimum data rate, too slow to finish before the request timeout.
        var clock = Stopwatch.StartNew();
        var answer = new byte[4096];
        var receive = socket.ReceiveAsync(answer, System.Net.Sockets.SocketFlags.None);
        for (var sent = 0; sent < body.Length - 1 && !receive.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(15); sent += 40)
        {
            await socket.SendAsync(body.AsMemory(sent, Math.Min(40, body.Length - 1 - sent)));
            await Task.WhenAny(receive, Task.Delay(100));
        }

        var read = await receive.WaitAsync(TimeSpan.FromSeconds(15));
        var text = System.Text.Encoding.ASCII.GetString(answer, 0, read);
        Assert.StartsWith("HTTP/1.1 503", text, StringComparison.Ordinal);
        Assert.Contains("Retry-After: 4", text, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Oversized_headers_are_refused_by_Kestrel_not_with_a_5xx()
    {
        await using var host = await SecureHost.StartAsync(Args());
        var body = Payloads.Verbex("CallHandler.CallStarted", $"hdr-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null);

        var huge = await host.PostAsync("verbex", body, [.. VerbexUnbound, ("X-Padding", new string('p', 40 * 1024))]);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, huge.StatusCode);
        var many = await host.PostAsync("verbex", body, [.. VerbexUnbound, .. Enumerable.Range(0, 80).Select(i => ($"X-Extra-{i}", "v"))]);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, many.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", body, VerbexUnbound)).StatusCode);
    }
}
