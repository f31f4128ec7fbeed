using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallEvents.FollowUps.Callbacks;

/// <summary>Evaluates the callback rules and sends callbacks; shared by the built-in callback follow-up grains.</summary>
public sealed class CallbackDispatcher(IOptionsMonitor<CallbackOptions> options, IHttpClientFactory clients, [FromKeyedServices(CallEventClock.Key)] TimeProvider time, CallbackTargetPolicy policy)
{
    /// <summary>
    /// The named HTTP client callbacks are sent with. On a production host it connects only to public addresses,
    /// checked at each new connection.
    /// </summary>
    public const string HttpClientName = "callevents-callbacks";

    /// <summary>
    /// The named HTTP client for targets whose flags allow private addresses (<c>AllowPrivateNetwork</c>). A client of
    /// its own, so that its pooled connections to private addresses are never reused for a target without the flag.
    /// </summary>
    public const string PrivateNetworkHttpClientName = "callevents-callbacks-private-network";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The first rule matching the emission, as a plan; null when none matches.</summary>
    public FollowUpPlan? Decide(LifecycleEvent lifecycleEvent)
    {
        ArgumentNullException.ThrowIfNull(lifecycleEvent);
        var current = options.CurrentValue;
        var rule = current.Rules.FirstOrDefault(r => Matches(r, lifecycleEvent));
        if (rule is null)
        {
            return null;
        }

        var body = JsonSerializer.Serialize(
            new { rule = rule.Name, emission = lifecycleEvent.Namespace, key = lifecycleEvent.Key, @event = (object)lifecycleEvent },
            Json);
        return new FollowUpPlan(rule.Name, rule.Delay, rule.Url ?? current.DefaultUrl, body);
    }

    /// <summary>
    /// POSTs the callback with its id as <c>Idempotency-Key</c>, signed the Standard Webhooks way when a signing secret
    /// is configured; failures say whether a retry may help. On a production host a target the rules do not allow
    /// (plain http, a loopback, link-local or private address, also one a DNS name resolves to now) fails for good.
    /// </summary>
    public async Task SendAsync(ScheduledActionRecord action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        var current = options.CurrentValue;
        var access = current.AccessFor(action.Name, action.Target);
        if (!Uri.TryCreate(action.Target, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps))
        {
            throw new FollowUpActionException($"refused: '{action.Target}' is not an absolute http(s) URL", transient: false);
        }

        // Checked again when sending, not only at startup: the action was scheduled under the rules of its time, and
        // retrying cannot make a refused target acceptable.
        if (policy.Restricted && target.Scheme == Uri.UriSchemeHttp && !access.AllowPlainHttp)
        {
            throw new FollowUpActionException($"refused: {target.GetLeftPart(UriPartial.Authority)} is plain http on a production host; set {access.AllowPlainHttpKey}=true to allow it", transient: false);
        }

        var body = Encoding.UTF8.GetBytes(action.Payload ?? "{}");
        using var request = new HttpRequestMessage(HttpMethod.Post, action.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("Idempotency-Key", action.Id);
        if (StandardWebhooks.DecodeSecret(current.SigningSecret) is { } key)
        {
            // Signed at each attempt: the timestamp is when this attempt was sent, so retries stay within a receiver's tolerance.
            var now = time.GetUtcNow();
            request.Headers.Add(StandardWebhooks.IdHeader, action.Id);
            request.Headers.Add(StandardWebhooks.TimestampHeader, StandardWebhooks.TimestampOf(now));
            request.Headers.Add(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign(key, action.Id, now, body));
        }

        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("callevents-followups", "1.0"));
        using var response = await SendOrRefuseAsync(request, access, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var transient = status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
        throw new FollowUpActionException($"HTTP {status}", transient);
    }

    /// <summary>Sends on the client the target's flags allow; a connection the guard refused fails for good.</summary>
    private async Task<HttpResponseMessage> SendOrRefuseAsync(HttpRequestMessage request, CallbackTargetAccess access, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(access.AllowPrivateNetwork ? PrivateNetworkHttpClientName : HttpClientName);
        try
        {
            return await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is CallbackTargetRefusedException refused)
        {
            throw new FollowUpActionException($"{refused.Message}; set {access.AllowPrivateNetworkKey}=true to allow it", transient: false);
        }
    }

    /// <summary>The stream namespace a trigger listens on.</summary>
    public static string NamespaceOf(CallbackTrigger trigger) => trigger switch
    {
        CallbackTrigger.PcaReady => StreamNamespaces.CallPcaReady,
        CallbackTrigger.Stalled => StreamNamespaces.CallStalled,
        CallbackTrigger.WorkflowCompleted => StreamNamespaces.WorkflowCompleted,
        _ => StreamNamespaces.WorkflowFailed,
    };

    private static bool Matches(CallbackRule rule, LifecycleEvent e)
    {
        var trigger = Enum.Parse<CallbackTrigger>(rule.On, ignoreCase: true);
        var triggered = (trigger, e) switch
        {
            (CallbackTrigger.PcaReady, CallPcaReadyEvent) => true,
            (CallbackTrigger.Stalled, CallStalledEvent) => true,
            (CallbackTrigger.WorkflowCompleted, WorkflowFinishedEvent { Status: WorkflowPhase.Completed }) => true,
            (CallbackTrigger.WorkflowFailed, WorkflowFinishedEvent { Status: WorkflowPhase.Failed }) => true,
            _ => false,
        };
        if (!triggered || !Is(rule.Source, e.Source))
        {
            return false;
        }

        return e switch
        {
            CallPcaReadyEvent pca => CallMatches(rule, pca)
                && Is(rule.PcaStatus, pca.Pca.Status)
                && Is(rule.PcaReason, pca.Pca.Reason)
                && Is(rule.Sentiment, pca.Pca.Analysis?.Sentiment)
                && rule.CustomFields.All(f => pca.Pca.Analysis?.CustomFields.TryGetValue(f.Key, out var v) == true && Is(f.Value, v)),
            CallStalledEvent stalled => CallMatches(rule, stalled) && Is(rule.StallReason, stalled.Reason.ToString()),
            WorkflowFinishedEvent workflow => Is(rule.WorkflowId, workflow.WorkflowId),
            _ => false,
        };
    }

    private static bool CallMatches(CallbackRule rule, CallLifecycleEvent call) =>
        Is(rule.AgentId, call.AgentId) && Is(rule.Outcome, call.Outcome.ToString());

    private static bool Is(string? wanted, string? actual) =>
        wanted is null || string.Equals(wanted, actual, StringComparison.OrdinalIgnoreCase);
}
