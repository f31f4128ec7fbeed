using System.Net;
using CallEvents.Security.Tests.Infrastructure;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>A tenant-bound credential or operator key neither writes nor reads another tenant's calls.</summary>
[Collection(SecuredHostCollection.Name)]
public sealed class TenantIsolationTests(SecuredHostFixture fixture)
{
    private SecureHost Host => fixture.Host;

    [Fact]
    public async Task A_tenant_cannot_write_another_tenants_call_even_naming_its_own_organization()
    {
        var callId = NewId("owned");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), OrgA), VerbexA)).StatusCode);
        var before = await fixture.CallStateAsync("verbex", callId);

        // Tenant B's credential, with an event that truthfully names tenant B, aimed at tenant A's call.
        var response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, NewId("t"), OrgB), VerbexB);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(response);
        // Tenant B's credential, pretending to be tenant A.
        response = await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, NewId("t"), OrgA), VerbexB);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(response);
        Assert.Equal(before, await fixture.CallStateAsync("verbex", callId));
    }

    [Fact]
    public async Task A_tenant_keeps_writing_its_own_call()
    {
        var callId = NewId("own");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("t"), OrgA), VerbexA)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallEnded", callId, NewId("t"), OrgA, 1762670299m), VerbexA)).StatusCode);
        var snapshot = await Payloads.JsonAsync(await Host.GetAsync($"/calls/verbex/{callId}", OperatorKeyA));
        Assert.Equal("Ended", snapshot["status"]!.GetValue<string>());
        Assert.Equal(OrgA, snapshot["organizationId"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_without_an_organization_takes_its_credentials_tenant()
    {
        var verbexCall = NewId("noorg");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", verbexCall, NewId("t"), null), VerbexB)).StatusCode);
        Assert.Equal(OrgB, (await Payloads.JsonAsync(await Host.GetAsync($"/calls/verbex/{verbexCall}", OperatorKeyB)))["organizationId"]!.GetValue<string>());

        // SubVerse sends no organization at all: its tenant-bound credential is what makes the call tenant A's.
        var subverseCall = NewId("sv");
        var body = Payloads.SubVerseCall("call.placed", subverseCall, Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body, SubVerse(body, credential: ("X-API-Key", SubVerseApiKeyA)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/calls/subverse/{subverseCall}", OperatorKeyA)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.GetAsync($"/calls/subverse/{subverseCall}", OperatorKeyB)).StatusCode);
    }

    [Fact]
    public async Task A_tenant_bound_operator_key_sees_only_its_tenants_calls_and_cannot_tell_others_exist()
    {
        var mine = NewId("mine");
        var theirs = NewId("theirs");
        var unbound = NewId("unbound");
        var never = NewId("never");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", mine, NewId("t"), OrgA), VerbexA)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", theirs, NewId("t"), OrgB), VerbexB)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", unbound, NewId("t"), null), VerbexUnbound)).StatusCode);

        foreach (var suffix in new[] { "", "/events", "/follow-ups" })
        {
            Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/calls/verbex/{mine}{suffix}", OperatorKeyA)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/calls/verbex/{theirs}{suffix}", OperatorKey)).StatusCode);
            var other = await Host.GetAsync($"/calls/verbex/{theirs}{suffix}", OperatorKeyA);
            var unknown = await Host.GetAsync($"/calls/verbex/{never}{suffix}", OperatorKeyA);
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal(Shape(await Payloads.JsonAsync(other), theirs), Shape(await Payloads.JsonAsync(unknown), never));
            Assert.Equal(HttpStatusCode.NotFound, (await Host.GetAsync($"/calls/verbex/{unbound}{suffix}", OperatorKeyA)).StatusCode);
        }

        var cancel = await Host.SendAsync(HttpMethod.Delete, $"/calls/verbex/{theirs}/follow-ups/some-action", OperatorKeyA);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
    }

    [Fact]
    public async Task Workflow_executions_are_tenant_scoped_like_calls()
    {
        var executionId = NewId("exec");
        var body = Payloads.SubVerseWorkflow("workflow.started", executionId, Payloads.At);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", body, SubVerse(body, credential: ("X-API-Key", SubVerseApiKeyA)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/workflows/{executionId}", OperatorKey)).StatusCode);
        var snapshot = await Payloads.JsonAsync(await Host.GetAsync($"/workflows/{executionId}", OperatorKeyA));
        Assert.Equal(OrgA, snapshot["organizationId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/workflows/{executionId}/events", OperatorKeyA)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.GetAsync($"/workflows/{executionId}", OperatorKeyB)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.GetAsync($"/workflows/{executionId}/events", OperatorKeyB)).StatusCode);

        // Tenant B's credential cannot write tenant A's execution.
        var completed = Payloads.SubVerseWorkflow("workflow.completed", executionId, Payloads.At.AddMinutes(1));
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await Host.PostAsync("subverse", completed, SubVerse(completed, credential: ("X-API-Key", SubVerseApiKeyB))));
        Assert.Equal("Started", (await Payloads.JsonAsync(await Host.GetAsync($"/workflows/{executionId}", OperatorKey)))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_tenants_racing_on_a_calls_first_event_cannot_both_write_it()
    {
        // The grain checks the tenant in the same step that stores the event, so there is no window between a read
        // and a write for the other tenant to slip through.
        for (var round = 0; round < 20; round++)
        {
            var callId = NewId("race");
            var answers = await Task.WhenAll(
                Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("a"), OrgA), VerbexA),
                Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, NewId("b"), OrgB), VerbexB));
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
            Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Unauthorized);
            var winner = answers[0].StatusCode == HttpStatusCode.OK ? OrgA : OrgB;
            var snapshot = await Payloads.JsonAsync(await Host.GetAsync($"/calls/verbex/{callId}", OperatorKey));
            Assert.Equal(winner, snapshot["organizationId"]!.GetValue<string>());
            Assert.Equal(1, snapshot["eventCount"]!.GetValue<int>());
            Assert.Empty(snapshot["anomalies"]!.AsArray());
        }
    }

    [Fact]
    public async Task Search_and_export_show_a_tenant_key_only_its_organization()
    {
        var mine = NewId("list-a");
        var theirs = NewId("list-b");
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", mine, NewId("t"), OrgA), VerbexA)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", theirs, NewId("t"), OrgB), VerbexB)).StatusCode);

        async Task<List<string>> Listed(string query, string key) =>
            [.. (await Payloads.JsonAsync(await Host.GetAsync($"/calls?limit=500{query}", key)))["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>())];

        var seenByA = await Listed("", OperatorKeyA);
        Assert.Contains(mine, seenByA);
        Assert.DoesNotContain(theirs, seenByA);
        Assert.Empty(await Listed($"&organizationId={OrgB}", OperatorKeyA));
        Assert.Contains(theirs, await Listed($"&organizationId={OrgB}", OperatorKey));

        async Task<string> Exported(string query, string key) => await (await Host.GetAsync($"/export{query}", key)).Content.ReadAsStringAsync();
        var exportA = await Exported("", OperatorKeyA);
        Assert.Contains(mine, exportA, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs, exportA, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await Exported($"?organizationId={OrgB}", OperatorKeyA));
        Assert.Contains(theirs, await Exported("", OperatorKey), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Host.GetAsync("/export", null)).StatusCode);
    }

    /// <summary>The problem without the parts that name the id asked for.</summary>
    private static string Shape(System.Text.Json.Nodes.JsonObject problem, string id)
    {
        problem.Remove("traceId");
        return problem.ToJsonString().Replace(id, "{id}", StringComparison.Ordinal);
    }

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
