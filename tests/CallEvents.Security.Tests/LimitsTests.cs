using System.Net;
using CallEvents.Journal;
using CallEvents.Security.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>Per-source rate limits, the per-entity in-flight bound and Kestrel's request limits.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task A_verified_source_over_its_rate_limit_gets_503_with_Retry_After_and_other_sources_are_unaffected()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=3"]);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
        {
            answers.Add(await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"rl-{Guid.NewGuid():N}", $"t-{i}-{Guid.NewGuid():N}", null), VerbexUnbound));
        }

        // SubVerse retries only 5xx: overload of a genuine sender is a 503, never a 4xx it would drop.
        var limited = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(limited);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable }));
        var rejected = limited[0];
        Assert.True(rejected.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "a 503 carries Retry-After in seconds");
        Assert.Equal("application/problem+json", rejected.Content.Headers.ContentType?.MediaType);
        Assert.Equal(503, (await Payloads.JsonAsync(rejected))["status"]!.GetValue<int>());

        var body = Payloads.SubVerseCall("call.placed", $"rl-{Guid.NewGuid():N}", Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("subverse", body, SubVerse(body))).StatusCode);
    }

    [Fact]
    public async Task A_source_configured_for_429_gets_429_when_over_its_rate_limit()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=2", "--Security:Sources:verbex:OverloadStatusCode=429"]);
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"rl-{Guid.NewGuid():N}", $"t-{i}-{Guid.NewGuid():N}", null), VerbexUnbound)).StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, answers);
        Assert.DoesNotContain(HttpStatusCode.ServiceUnavailable, answers);
    }

    [Fact]
    public async Task A_flood_of_forged_requests_does_not_use_up_the_real_providers_budget()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=5", "--Security:RateLimit:UnverifiedPermitsPerSecond=1", "--Security:RateLimit:UnverifiedBurst=2"]);
        var forged = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            forged.Add((await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", "victim", $"t-{i}", null), [("X-API-Key", $"guess-{i}-guess-guess")])).StatusCode);
        }

        // Within their own budget they are told 401; beyond it 429 (they are not deliveries anyone will miss).
        Assert.Equal(HttpStatusCode.Unauthorized, forged[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, forged);
        Assert.DoesNotContain(HttpStatusCode.OK, forged);
        for (var i = 0; i < 5; i++)
        {
            var real = await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"real-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", OrgA), VerbexA);
            Assert.Equal(HttpStatusCode.OK, real.StatusCode);
        }
    }

    [Fact]
    public async Task Unsigned_requests_on_a_signature_only_source_never_spend_the_signed_providers_budget()
    {
        var secret = "whsec_" + Convert.ToBase64String(SigningKey);
        await using var host = await SecureHost.StartAsync(
            [$"--Security:Sources:subverse:SigningSecrets:0:Secret={secret}", $"--Security:OperatorKeys:0:Key={OperatorKey}", "--Security:Sources:verbex:Credentials:0:Secret=" + VerbexBearer,
             "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=20", "--Security:RateLimit:UnverifiedPermitsPerSecond=1", "--Security:RateLimit:UnverifiedBurst=1"]);

        // Unsigned deliveries and genuine, signed ones at the same time: the flood is far above every budget.
        var unsigned = Enumerable.Range(0, 200).Select(i => host.PostAsync("subverse", Payloads.SubVerseCall("call.placed", $"flood-{i}", Payloads.At), [])).ToList();
        var signed = Enumerable.Range(0, 20).Select(async i =>
        {
            var body = Payloads.SubVerseCall("call.placed", $"genuine-{i}-{Guid.NewGuid():N}", Payloads.At);
            return await host.PostAsync("subverse", body, StandardWebhookSigner.Headers(SigningKey, $"msg_{Guid.NewGuid():N}", DateTimeOffset.UtcNow, body));
        }).ToList();

        Assert.All(await Task.WhenAll(signed), a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(await Task.WhenAll(unsigned), a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
    }

    [Fact]
    public async Task Connections_held_open_with_an_unfinished_body_spend_no_budget()
    {
        await using var host = await SecureHost.StartAsync([.. Args(), "--Security:RateLimit:PermitsPerSecond=1", "--Security:RateLimit:Burst=3"]);
        var body = Payloads.Verbex("CallHandler.CallStarted", $"held-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null);
        var head = System.Text.Encoding.ASCII.GetBytes($"POST /webhooks/verbex HTTP/1.1\r\nHost: x\r\nAuthorization: {VerbexBearer}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        var held = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                held.Add(socket);
                await socket.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port);
                await socket.SendAsync(head);
                await socket.SendAsync(body.AsMemory(0, body.Length / 2));
            }

            // Twenty genuine requests are in flight, bodies unfinished: a burst of 3 is still whole.
            for (var i = 0; i < 3; i++)
            {
                var genuine = Payloads.Verbex("CallHandler.CallStarted", $"ok-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null);
                Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", genuine, VerbexUnbound)).StatusCode);
            }
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task One_hot_call_cannot_hold_more_than_its_share_and_other_calls_go_on()
    {
        var journal = new GatedJournal();
        await using var host = await SecureHost.StartAsync(
            [.. Args(), "--Security:Limits:MaxConcurrentPerEntity=2", "--Ingress:RetryAfterSeconds=3", "--Ingress:GrainCallTimeout=00:00:04.5"],
            configureSilo: silo => silo.Services.AddSingleton<IJournal>(journal));

        var hot = $"slow-{Guid.NewGuid():N}";
        var deliveries = Enumerable.Range(0, 6)
            .Select(i => host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", hot, $"t-{i}-{hot}", null), VerbexUnbound))
            .ToList();

        // The hot call's grain is stuck in a write; the four deliveries beyond its share are answered at once.
        await Wait.UntilAsync(() => journal.Waiting == 1 && deliveries.Count(d => d.IsCompleted) == 4, TimeSpan.FromSeconds(30), "one write held and four deliveries refused");
        var other = await host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", $"cool-{Guid.NewGuid():N}", $"t-{Guid.NewGuid():N}", null), VerbexUnbound);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(1, journal.Waiting);

        journal.Open();
        var answers = await Task.WhenAll(deliveries);
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(4, busy.Count);
        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
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

        // Fast enough for Kestrel's minimum data rate, never finishing: the request timeout answers it.
        var answer = new byte[4096];
        var receive = socket.ReceiveAsync(answer, System.Net.Sockets.SocketFlags.None);
        for (var sent = 0; sent < body.Length - 1 && !receive.IsCompleted; sent += 40)
        {
            await socket.SendAsync(body.AsMemory(sent, Math.Min(40, body.Length - 1 - sent)));
            await Task.WhenAny(receive, Task.Delay(100));
        }

        var read = await receive.WaitAsync(TimeSpan.FromSeconds(15));
        var text = System.Text.Encoding.ASCII.GetString(answer, 0, read);
        Assert.StartsWith("HTTP/1.1 503", text, StringComparison.Ordinal);
        Assert.Contains("Retry-After: 4", text, StringComparison.OrdinalIgnoreCase);
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
