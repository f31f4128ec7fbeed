using System.Net;
using System.Text;
using CallEvents.Security.Tests.Infrastructure;
using static CallEvents.Security.Tests.Infrastructure.TestCredentials;

namespace CallEvents.Security.Tests;

/// <summary>Inputs the hostile-input suite found mishandled, pinned down one by one.</summary>
[Collection(SecuredHostCollection.Name)]
public sealed class HostileInputRegressionTests(SecuredHostFixture fixture)
{
    private SecureHost Host => fixture.Host;

    [Theory]
    [InlineData("{\"eventType\":\"call.placed\",\"createdAt\":\"2025-12-08T10:30:00Z\",\"data\":{\"callId\":\"\\ud800\"}}")]
    [InlineData("{\"eventType\":\"\\udc00x\",\"data\":{\"callId\":\"c\"}}")]
    [InlineData("{\"eventType\":\"call.placed\",\"data\":{\"callId\":\"lone-{id}\",\"notes\":\"\\udfff\\ud800\"}}")]
    [InlineData("{\"eventType\":\"call.placed\",\"data\":{\"callId\":\"lone-{id}\",\"\\ud800\":1}}")]
    public async Task An_escaped_lone_surrogate_is_a_400_not_a_500_and_stores_nothing(string template)
    {
        var id = Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes(template.Replace("{id}", id, StringComparison.Ordinal));
        var response = await Host.PostAsync("subverse", body, SubVerse(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(await fixture.CallStateAsync("subverse", $"lone-{id}"));
    }

    [Theory]
    [InlineData(40)]
    [InlineData(60)]
    [InlineData(61)]
    public async Task A_deeply_nested_payload_that_is_accepted_can_be_read_back(int depth)
    {
        var callId = $"deep-{Guid.NewGuid():N}";
        var json = Payloads.SubVerseCallJson("call.placed", callId, Payloads.At).ToJsonString();
        var nested = string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth));
        var body = Encoding.UTF8.GetBytes(json.Replace("\"data\":{", $"\"data\":{{\"deep\":{nested},", StringComparison.Ordinal));
        var response = await Host.PostAsync("subverse", body, SubVerse(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var history = await Host.GetAsync($"/calls/subverse/{callId}/events", OperatorKey);
        Assert.Equal(HttpStatusCode.OK, history.StatusCode);
    }

    [Theory]
    [InlineData("FFFFFFFFFFFFFFFFFF\r\n")]
    [InlineData("zz\r\nabc\r\n0\r\n\r\n")]
    [InlineData("3\r\nabcdef\r\n0\r\n\r\n")]
    public async Task Broken_chunked_framing_is_a_4xx(string chunks)
    {
        var request = Encoding.ASCII.GetBytes($"POST /webhooks/verbex HTTP/1.1\r\nHost: x\r\nAuthorization: {VerbexBearer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}");
        var status = await RawHttp.SendAsync(Host.BaseAddress, request, halfClose: false, TimeSpan.FromSeconds(20));
        Assert.InRange(status ?? 0, 400, 499);
    }
}
