using System.Net;
using System.Text.Json.Nodes;
using CallEvents.Samples;
using CallEvents.TestSupport;

namespace CallEvents.Send.Tests;

/// <summary>The sender run in-process (its real command line) against a real host over HTTP.</summary>
public sealed class SendTests(OpenHostFixture fixture) : IClassFixture<OpenHostFixture>
{
    public static TheoryData<string, string> EveryEvent()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in EventNames.All)
        {
            data.Add(EventNames.SourceOf(kind), EventNames.Of(kind));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryEvent))]
    public async Task Each_event_type_is_sent_as_a_sample_the_host_accepts(string source, string eventName)
    {
        var run = await Sender.RunAsync(fixture.Host.BaseAddress.ToString(), source, eventName);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches("^20[02] ", run.Lines[1]);
        var answer = JsonNode.Parse(run.Lines[2])!;
        Assert.True(answer["received"]!.GetValue<bool>());
        Assert.Equal(eventName, answer["eventType"]!.GetValue<string>());

        // Every sample is one the host recognizes: nothing is stored as an unknown event.
        Assert.Null(answer["recognized"]);
    }

    [Fact]
    public async Task Samples_sent_with_one_call_id_build_up_one_call()
    {
        var callId = $"send-{Guid.NewGuid():N}";
        foreach (var eventName in new[] { "call.in_queue", "call.placed", "call.completed" })
        {
            Assert.Equal(0, (await Sender.RunAsync(fixture.Host.BaseAddress.ToString(), "subverse", eventName, "--call-id", callId)).ExitCode);
        }

        var snapshot = JsonNode.Parse(await fixture.Host.Http.GetStringAsync($"/calls/subverse/{callId}"))!;
        Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
        Assert.Equal("Succeeded", snapshot["outcome"]!.GetValue<string>());
        Assert.Empty(snapshot["missingPhases"]!.AsArray());
        Assert.Equal(3, snapshot["eventCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_file_is_sent_as_it_is_with_the_Verbex_headers_taken_from_its_body_and_again_is_a_duplicate()
    {
        var callId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..24];
        var sample = SampleEvents.Create(EventKind.VerbexCallEnded, callId, DateTimeOffset.UtcNow);
        var path = Path.Combine(Path.GetTempPath(), $"send-{Guid.NewGuid():N}.json");
        await File.WriteAllBytesAsync(path, sample.Body);
        try
        {
            var first = await Sender.RunAsync(fixture.Host.BaseAddress.ToString(), "verbex", "--file", path);
            var again = await Sender.RunAsync(fixture.Host.BaseAddress.ToString(), "verbex", "--file", path);

            Assert.Equal(0, first.ExitCode);
            Assert.False(JsonNode.Parse(first.Lines[2])!["duplicate"]!.GetValue<bool>());
            Assert.Equal(0, again.ExitCode);
            Assert.True(JsonNode.Parse(again.Lines[2])!["duplicate"]!.GetValue<bool>());
            var events = JsonNode.Parse(await fixture.Host.Http.GetStringAsync($"/calls/verbex/{callId}/events"))!["events"]!.AsArray();
            Assert.Equal(JsonNode.Parse(sample.Body)!.ToJsonString(), Assert.Single(events)!["payload"]!.ToJsonString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_refused_delivery_exits_1_and_prints_the_problem()
    {
        var path = Path.Combine(Path.GetTempPath(), $"send-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """{"eventType":"call.placed","createdAt":"2026-01-01T00:00:00.000Z","data":{}}""");
        try
        {
            var run = await Sender.RunAsync(fixture.Host.BaseAddress.ToString(), "subverse", "--file", path);

            Assert.Equal(1, run.ExitCode);
            Assert.StartsWith("400 ", run.Lines[1], StringComparison.Ordinal);
            Assert.Equal("data.callId", JsonNode.Parse(run.Lines[2])!["field"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("verbex", "call.placed")]
    [InlineData("subverse", "CallHandler.CallStarted")]
    [InlineData("subverse", null)]
    public async Task An_event_the_source_does_not_send_is_a_usage_error(string source, string? eventName)
    {
        var run = await Sender.RunAsync(["http://127.0.0.1:9", source, .. eventName is null ? Array.Empty<string>() : [eventName]]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(EventNames.NamesOf(source).First(), run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_is_not_there_exits_1_with_the_reason()
    {
        var run = await Sender.RunAsync($"http://127.0.0.1:{FreePort.Get()}", "subverse", "call.placed");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error:", run.Error, StringComparison.Ordinal);
    }
}

/// <summary>Credentials and signatures, against a host configured with them.</summary>
public sealed class SendCredentialTests(SecuredHostFixture fixture) : IClassFixture<SecuredHostFixture>
{
    private string Url => fixture.Host.BaseAddress.ToString();

    [Fact]
    public async Task A_signing_secret_signs_the_delivery_the_host_verifies()
    {
        var signed = await Sender.RunAsync(Url, "subverse", "call.placed", "--signing-secret", SecuredHostFixture.SigningSecret);
        var unsigned = await Sender.RunAsync(Url, "subverse", "call.placed");
        var otherSecret = await Sender.RunAsync(Url, "subverse", "call.placed", "--signing-secret", SecuredHostFixture.OtherSigningSecret);

        Assert.Equal(0, signed.ExitCode);
        Assert.StartsWith("200 ", signed.Lines[1], StringComparison.Ordinal);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.StartsWith("401 ", unsigned.Lines[1], StringComparison.Ordinal);
        Assert.Equal(1, otherSecret.ExitCode);
        Assert.StartsWith("401 ", otherSecret.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bearer_token_or_a_header_is_the_credential_the_host_checks()
    {
        var bearer = await Sender.RunAsync(Url, "verbex", "CallHandler.CallStarted", "--bearer", SecuredHostFixture.BearerToken);
        var apiKey = await Sender.RunAsync(Url, "verbex", "CallHandler.CallEnded", "--header", $"X-API-Key: {SecuredHostFixture.ApiKey}");
        var none = await Sender.RunAsync(Url, "verbex", "CallHandler.CallStarted");
        var wrong = await Sender.RunAsync(Url, "verbex", "CallHandler.CallStarted", "--bearer", "not-the-verbex-token");

        Assert.Equal(0, bearer.ExitCode);
        Assert.Equal(0, apiKey.ExitCode);
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith("401 ", none.Lines[1], StringComparison.Ordinal);
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith("401 ", wrong.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_prints_the_signed_request_and_sends_nothing()
    {
        var callId = $"dry-{Guid.NewGuid():N}";
        var run = await Sender.RunAsync(Url, "subverse", "call.completed", "--call-id", callId, "--signing-secret", SecuredHostFixture.SigningSecret, "--dry-run");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, l => l.StartsWith("webhook-signature: v1,", StringComparison.Ordinal));
        Assert.Equal(callId, JsonNode.Parse(run.Lines[^1])!["data"]!["callId"]!.GetValue<string>());
        using var query = new HttpRequestMessage(HttpMethod.Get, $"/calls/subverse/{callId}");
        query.Headers.Add("X-API-Key", SecuredHostFixture.OperatorKey);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Host.Http.SendAsync(query)).StatusCode);
    }
}

/// <summary>Runs the sender's command line in this process, capturing what it prints.</summary>
internal static class Sender
{
    public static async Task<Run> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await SendCommand.RunAsync(args, output, error);
        return new Run(exitCode, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray(), error.ToString());
    }

    public sealed record Run(int ExitCode, string[] Lines, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{string.Join('\n', Lines)}\n{Error}";
    }
}
