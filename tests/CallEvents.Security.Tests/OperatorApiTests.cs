using System.Net;
using CallEvents.Security.Tests.Infrastructure;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>The query API needs an operator key, distinct from webhook credentials.</summary>
[Collection(SecuredHostCollection.Name)]
public sealed class OperatorApiTests(SecuredHostFixture fixture)
{
    private SecureHost Host => fixture.Host;

    public static TheoryData<string> Paths => new()
    {
        "/calls/verbex/some-call",
        "/calls/verbex/some-call/events",
        "/calls/verbex/some-call/follow-ups",
        "/calls/nosuchsource/some-call",
        "/workflows/some-execution",
        "/workflows/some-execution/events",
        "/workflows/some-execution/follow-ups",
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Without_a_key_every_query_is_401(string path)
    {
        var response = await Host.GetAsync(path, operatorKey: null);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(response);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("/calls/verbex/some-call/follow-ups/some-action")]
    [InlineData("/workflows/some-execution/follow-ups/some-action")]
    public async Task Without_a_key_no_follow_up_can_be_cancelled(string path)
    {
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await Host.SendAsync(HttpMethod.Delete, path, operatorKey: null));
    }

    [Theory]
    [InlineData("not-the-operator-key-at-all")]
    [InlineData(VerbexKeyA)]
    [InlineData("subverse-token-3b8f0d6e41c2")]
    [InlineData("operator-global-4e2a9d7c5")]
    public async Task A_wrong_key_or_a_webhook_credential_is_401(string key)
    {
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await Host.GetAsync("/calls/verbex/some-call", key));
        var request = new HttpRequestMessage(HttpMethod.Get, "/calls/verbex/some-call");
        request.Headers.Add("X-API-Key", key);
        await WebhookAuthenticationTests.AssertUnauthorizedAsync(await Host.Http.SendAsync(request));
    }

    [Fact]
    public async Task The_key_works_as_a_bearer_token_and_as_X_API_Key()
    {
        var callId = $"op-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", Payloads.Verbex("CallHandler.CallStarted", callId, $"t-{callId}", null), VerbexUnbound)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync($"/calls/verbex/{callId}", OperatorKey)).StatusCode);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/calls/verbex/{callId}/events");
        request.Headers.Add("X-API-Key", OperatorKey);
        Assert.Equal(HttpStatusCode.OK, (await Host.Http.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.GetAsync($"/calls/verbex/never-{callId}", OperatorKey)).StatusCode);
    }

    [Fact]
    public async Task The_service_description_stays_open()
    {
        Assert.Equal(HttpStatusCode.OK, (await Host.GetAsync("/", operatorKey: null)).StatusCode);
    }
}
