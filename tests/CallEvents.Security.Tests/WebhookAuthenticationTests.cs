using System.Net;
using System.Text;
using CallEvents.Security.Tests.Infrastructure;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>One test per authentication failure mode: each answers 401 and changes nothing.</summary>
[Collection(SecuredHostCollection.Name)]
public sealed class WebhookAuthenticationTests(SecuredHostFixture fixture)
{
    private SecureHost Host => fixture.Host;

    [Fact]
    public async Task Correct_header_credentials_are_accepted()
    {
        var callId = NewId("ok");
        var verbex = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), OrgA), VerbexA);
        Assert.Equal(HttpStatusCode.OK, verbex.StatusCode);
        var unbound = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, NewId("t"), OrgA), VerbexUnbound);
        Assert.Equal(HttpStatusCode.OK, unbound.StatusCode);

        var body = Payloads.SubVerseCall("call.placed", NewId("sv"), Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body, SubVerse(body))).StatusCode);
    }

    [Fact]
    public async Task A_missing_credential_is_401_and_changes_nothing()
    {
        var callId = NewId("missing");
        var response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), null), []);
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("verbex", callId));
    }

    [Theory]
    [InlineData("X-API-Key", "verbex-key-tenant-a-5f0c2e9")]
    [InlineData("X-API-Key", "verbex-key-tenant-a-5f0c2e9bX")]
    [InlineData("X-API-Key", "VERBEX-KEY-TENANT-A-5F0C2E9B")]
    [InlineData("Authorization", "Bearer verbex-key-tenant-a-5f0c2e9b")]
    [InlineData("X-Api-Token", "verbex-key-tenant-a-5f0c2e9b")]
    [InlineData("Authorization", "bearer verbex-unbound-9c31b7e2aa")]
    [InlineData("X-API-Key", "operator-global-4e2a9d7c51")]
    public async Task A_wrong_credential_is_401_and_changes_nothing(string header, string value)
    {
        var callId = NewId("wrong");
        var response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), null), [(header, value)]);
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("verbex", callId));
    }

    [Fact]
    public async Task The_credential_sent_twice_is_401()
    {
        var callId = NewId("twice");
        var response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), null), [.. VerbexUnbound, .. VerbexUnbound]);
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("verbex", callId));
    }

    [Theory]
    [InlineData(-6 * 60)]
    [InlineData(-3600)]
    [InlineData(6 * 60)]
    public async Task A_signature_with_a_timestamp_outside_the_tolerance_is_401_and_changes_nothing(int offsetSeconds)
    {
        var callId = NewId("stale");
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var response = await Host.PostAsync("subverse", body, SubVerse(body, at: DateTimeOffset.UtcNow.AddSeconds(offsetSeconds)));
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    [Fact]
    public async Task A_timestamp_inside_the_tolerance_is_accepted()
    {
        var body = Payloads.SubVerseCall("call.placed", NewId("recent"), Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body, SubVerse(body, at: DateTimeOffset.UtcNow.AddMinutes(-4)))).StatusCode);
    }

    [Fact]
    public async Task A_signature_made_with_an_unknown_secret_is_401_and_changes_nothing()
    {
        var callId = NewId("forged");
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var response = await Host.PostAsync("subverse", body, SubVerse(body, key: Encoding.UTF8.GetBytes("an attacker's guess at the key!!")));
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_401_and_changes_nothing()
    {
        var callId = NewId("tampered");
        var signed = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var tampered = Payloads.SubVerseCall("call.completed", callId, Payloads.At);
        var response = await Host.PostAsync("subverse", tampered, SubVerse(signed));
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    public static TheoryData<string, string> BadSignatureHeaders => new()
    {
        { "webhook-signature", "v1," },
        { "webhook-signature", "v1,not base64!" },
        { "webhook-signature", "v2,c2lnbmF0dXJl" },
        { "webhook-signature", string.Join(' ', Enumerable.Repeat("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 500)) },
        { "webhook-timestamp", "soon" },
        { "webhook-timestamp", "-5" },
        { "webhook-timestamp", "99999999999999999999" },
        { "webhook-id", "" },
        { "webhook-id", new string('i', 300) },
    };

    [Theory]
    [MemberData(nameof(BadSignatureHeaders))]
    public async Task Malformed_signature_headers_are_401_and_change_nothing(string header, string value)
    {
        var callId = NewId("malformed");
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var headers = SubVerse(body).Where(h => h.Item1 != header).Append((header, value));
        var response = await Host.PostAsync("subverse", body, headers);
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    [Fact]
    public async Task A_signed_delivery_without_the_header_credential_is_401()
    {
        var callId = NewId("nobearer");
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var response = await Host.PostAsync("subverse", body, SubVerse(body).Skip(1));
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    [Fact]
    public async Task The_header_credential_without_a_signature_is_401()
    {
        var callId = NewId("nosig");
        var response = await Host.PostAsync("subverse", Payloads.SubVerseCall("call.placed", callId, Payloads.At), [("Authorization", SubVerseBearer)]);
        await AssertUnauthorizedAsync(response);
        Assert.Null(await fixture.CallStateAsync("subverse", callId));
    }

    [Fact]
    public async Task Rotation_a_signature_by_the_old_secret_and_a_list_of_signatures_are_accepted()
    {
        var old = Payloads.SubVerseCall("call.placed", NewId("old"), Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", old, SubVerse(old, key: OldSigningKey))).StatusCode);

        // A sender in the middle of a rotation signs with both secrets; any one entry that verifies is enough.
        var both = Payloads.SubVerseCall("call.placed", NewId("both"), Payloads.At);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var id = $"msg_{Guid.NewGuid():N}";
        var list = $"v1a,ignored-asymmetric {StandardWebhookSigner.Signature(Encoding.UTF8.GetBytes("unrelated key bytes"), id, now, both)} {StandardWebhookSigner.Signature(SigningKey, id, now, both)}";
        var response = await Host.PostAsync("subverse", both, [("Authorization", SubVerseBearer), ("webhook-id", id), ("webhook-timestamp", now.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("webhook-signature", list)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_replayed_signed_delivery_is_a_duplicate_and_changes_nothing()
    {
        var callId = NewId("replay");
        var body = Payloads.SubVerseCall("call.placed", callId, Payloads.At);
        var headers = SubVerse(body);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body, headers)).StatusCode);
        var before = await fixture.CallStateAsync("subverse", callId);
        var replay = await Host.PostAsync("subverse", body, headers);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.True((await Payloads.JsonAsync(replay))["duplicate"]!.GetValue<bool>());
        // The stored events are unchanged; only the event's duplicate mark counts the replay.
        var events = System.Text.Json.Nodes.JsonNode.Parse(before!.Split('\n')[1])!;
        var after = System.Text.Json.Nodes.JsonNode.Parse((await fixture.CallStateAsync("subverse", callId))!.Split('\n')[1])!;
        Assert.Equal(0, events["events"]![0]!["duplicates"]!.GetValue<int>());
        Assert.Equal(1, after["events"]![0]!["duplicates"]!.GetValue<int>());
        events["events"]![0]!.AsObject().Remove("duplicates");
        after["events"]![0]!.AsObject().Remove("duplicates");
        Assert.Equal(events.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public async Task A_verbex_event_for_another_organization_than_its_credential_is_401_and_changes_nothing()
    {
        var callId = NewId("tenant");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), OrgA), VerbexA)).StatusCode);
        var before = await fixture.CallStateAsync("verbex", callId);

        var response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, NewId("t"), OrgB), VerbexA);
        await AssertUnauthorizedAsync(response);
        Assert.Equal(before, await fixture.CallStateAsync("verbex", callId));
    }

    [Fact]
    public async Task Every_failure_gets_the_same_answer()
    {
        var body = Payloads.Verbex("CallHandler.CallStarted", NewId("same"), NewId("t"), null);
        var missing = await (await Host.PostAsync("verbex", body, [])).Content.ReadAsStringAsync();
        var wrong = await (await Host.PostAsync("verbex", body, [("X-API-Key", "nope-nope-nope-nope")])).Content.ReadAsStringAsync();
        var signed = Payloads.SubVerseCall("call.placed", NewId("same"), Payloads.At);
        var stale = await (await Host.PostAsync("subverse", signed, SubVerse(signed, at: DateTimeOffset.UtcNow.AddHours(-1)))).Content.ReadAsStringAsync();
        Assert.Equal(WithoutTraceId(missing), WithoutTraceId(wrong));
        Assert.Equal(WithoutTraceId(missing), WithoutTraceId(stale));
    }

    internal static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var problem = await Payloads.JsonAsync(response);
        Assert.Equal(401, problem["status"]!.GetValue<int>());
        Assert.Equal("The request does not carry valid credentials.", problem["detail"]!.GetValue<string>());
        foreach (var secret in AllSecrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private static string WithoutTraceId(string problem)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(problem)!.AsObject();
        json.Remove("traceId");
        return json.ToJsonString();
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
