using System.Text;
using System.Text.Json;
using CallEvents;
using CallEvents.FollowUps;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace NegativeSentimentEscalation;

/// <summary>
/// Posts a chat message to a Slack-style incoming webhook when a call's post-call analysis says the customer was
/// unhappy. Only the decision and the action are written here: subscription, once-per-call decisions,
/// confirmation to the call grain, durable scheduling and retries come from <see cref="FollowUpGrain"/>.
/// </summary>
[ImplicitStreamSubscription(StreamNamespaces.CallPcaReady)]
public sealed class NegativeSentimentEscalationGrain(
    FollowUpServices services,
    IHttpClientFactory http,
    IOptions<EscalationOptions> options)
    : FollowUpGrain(services)
{
    /// <inheritdoc/>
    protected override Task<FollowUpPlan?> DecideAsync(LifecycleEvent lifecycleEvent)
    {
        if (lifecycleEvent is not CallPcaReadyEvent call
            || !string.Equals(call.Pca.Analysis?.Sentiment, "negative", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult<FollowUpPlan?>(null);
        }

        var text = $"Negative call {call.CallId} ({call.Source}, agent {call.AgentId ?? "unknown"}, customer {call.CustomerNumber ?? "unknown"}): {call.Pca.Analysis?.Summary ?? "no summary"}";
        var payload = JsonSerializer.Serialize(new { text, key = call.Key });
        return Task.FromResult<FollowUpPlan?>(new FollowUpPlan("escalate-to-chat", options.Value.Delay, options.Value.WebhookUrl, payload));
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(ScheduledActionRecord action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        using var content = new StringContent(action.Payload ?? "{}", Encoding.UTF8, "application/json");
        using var response = await http.CreateClient(nameof(NegativeSentimentEscalation)).PostAsync(action.Target, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            throw new FollowUpActionException($"HTTP {status}", transient: status >= 500 || status == 429);
        }
    }
}

/// <summary>Settings of the escalation (configuration section <c>Escalation</c>).</summary>
public sealed class EscalationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Escalation";

    /// <summary>The incoming-webhook URL the message is posted to.</summary>
    public string WebhookUrl { get; set; } = string.Empty;

    /// <summary>How long after PCA the message goes out (default: right away).</summary>
    public TimeSpan Delay { get; set; }
}

/// <summary>Composition: one call adds the escalation to any call-event silo.</summary>
public static class EscalationSiloBuilderExtensions
{
    /// <summary>Adds <see cref="NegativeSentimentEscalationGrain"/> and its settings (section <c>Escalation</c>).</summary>
    public static ISiloBuilder AddNegativeSentimentEscalation(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<EscalationOptions>()
            .BindConfiguration(EscalationOptions.Section)
            .Validate(o => Uri.TryCreate(o.WebhookUrl, UriKind.Absolute, out _), "Escalation:WebhookUrl must be an absolute URL.")
            .ValidateOnStart();
        silo.Services.AddHttpClient(nameof(NegativeSentimentEscalation));
        return silo.AddFollowUpGrain<NegativeSentimentEscalationGrain>();
    }
}
