using System.Collections.Immutable;
using CallEvents.FollowUps.Callbacks;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Tests.FollowUps;

/// <summary>Rule matching of the built-in callbacks: first match wins, every set criterion must hold.</summary>
public sealed class CallbackRuleTests
{
    private static CallbackDispatcher Dispatcher(params CallbackRule[] rules)
    {
        var services = new ServiceCollection();
        services.AddOptions<CallbackOptions>().Configure(o =>
        {
            o.DefaultUrl = "http://127.0.0.1:1/default";
            o.Rules.AddRange(rules);
        });
        services.AddHttpClient();
        services.AddCallEventClock();
        services.AddSingleton(CallbackTargetPolicy.Unrestricted);
        services.AddSingleton<CallbackDispatcher>();
        return services.BuildServiceProvider().GetRequiredService<CallbackDispatcher>();
    }

    private static CallPcaReadyEvent Pca(string source = "subverse", string? sentiment = "negative", string? status = null, string? reason = null, CallOutcome outcome = CallOutcome.Succeeded, string agent = "agent-1", params (string Key, string Value)[] custom) => new()
    {
        EmissionId = Guid.NewGuid(),
        Namespace = StreamNamespaces.CallPcaReady,
        Key = $"{source}/c1",
        Source = source,
        CallId = "c1",
        AgentId = agent,
        Outcome = outcome,
        Pca = new PcaInfo
        {
            Status = status,
            Reason = reason,
            Analysis = new CallAnalysis { Sentiment = sentiment, CustomFields = custom.ToImmutableSortedDictionary(c => c.Key, c => c.Value) },
        },
    };

    [Fact]
    public void The_first_matching_rule_decides_and_carries_its_delay_and_url()
    {
        var dispatcher = Dispatcher(
            new CallbackRule { Name = "verbex-only", Source = "verbex" },
            new CallbackRule { Name = "unhappy", Sentiment = "NEGATIVE", Delay = TimeSpan.FromMinutes(30), Url = "http://127.0.0.1:1/unhappy" },
            new CallbackRule { Name = "any" });
        var plan = dispatcher.Decide(Pca());
        Assert.NotNull(plan);
        Assert.Equal("unhappy", plan.Name);
        Assert.Equal(TimeSpan.FromMinutes(30), plan.Delay);
        Assert.Equal("http://127.0.0.1:1/unhappy", plan.Target);
        Assert.Contains("\"rule\":\"unhappy\"", plan.Payload, StringComparison.Ordinal);
        Assert.Equal("any", dispatcher.Decide(Pca(sentiment: "positive"))!.Name);
        Assert.Equal("http://127.0.0.1:1/default", dispatcher.Decide(Pca(sentiment: "positive"))!.Target);
    }

    [Fact]
    public void Every_set_criterion_must_match()
    {
        var dispatcher = Dispatcher(new CallbackRule
        {
            Name = "strict",
            Source = "verbex",
            AgentId = "agent-7",
            PcaStatus = "failed",
            PcaReason = "timeout",
            Outcome = "Succeeded",
            CustomFields = new() { ["intent"] = "refund" },
        });
        Assert.NotNull(dispatcher.Decide(Pca("verbex", null, "failed", "timeout", CallOutcome.Succeeded, "agent-7", ("intent", "refund"), ("other", "x"))));
        Assert.Null(dispatcher.Decide(Pca("verbex", null, "failed", "timeout", CallOutcome.Succeeded, "agent-7", ("intent", "upgrade"))));
        Assert.Null(dispatcher.Decide(Pca("verbex", null, "failed", "timeout", CallOutcome.Succeeded, "agent-7")));
        Assert.Null(dispatcher.Decide(Pca("verbex", null, "failed", "other", CallOutcome.Succeeded, "agent-7", ("intent", "refund"))));
        Assert.Null(dispatcher.Decide(Pca("verbex", null, "failed", "timeout", CallOutcome.Canceled, "agent-7", ("intent", "refund"))));
        Assert.Null(dispatcher.Decide(Pca("subverse", null, "failed", "timeout", CallOutcome.Succeeded, "agent-7", ("intent", "refund"))));
    }

    [Fact]
    public void Triggers_select_the_emission_kind()
    {
        var dispatcher = Dispatcher(
            new CallbackRule { Name = "stalled", On = "Stalled", StallReason = "NotEnded" },
            new CallbackRule { Name = "wf-failed", On = "WorkflowFailed" });
        Assert.Null(dispatcher.Decide(Pca()));
        var stalled = new CallStalledEvent { Namespace = StreamNamespaces.CallStalled, Key = "subverse/c1", Source = "subverse", Reason = StallReason.NotEnded };
        Assert.Equal("stalled", dispatcher.Decide(stalled)!.Name);
        Assert.Null(dispatcher.Decide(stalled with { Reason = StallReason.EndedWithoutPca }));
        var workflow = new WorkflowFinishedEvent { Namespace = StreamNamespaces.WorkflowFailed, Key = "subverse/x", Source = "subverse", Status = WorkflowPhase.Failed };
        Assert.Equal("wf-failed", dispatcher.Decide(workflow)!.Name);
        Assert.Null(dispatcher.Decide(workflow with { Status = WorkflowPhase.Completed }));
    }

    [Fact]
    public void Invalid_rules_are_reported_with_their_key()
    {
        var options = new CallbackOptions
        {
            Rules = [new CallbackRule { Name = "", On = "Sometimes", Delay = TimeSpan.FromSeconds(-1) }, new CallbackRule { Name = "ok", Url = "ftp://x" }],
        };
        var problems = options.Problems(CallbackTargetPolicy.Unrestricted).ToList();
        Assert.Contains(problems, p => p.StartsWith("FollowUps:Callbacks:Rules:0:Name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("FollowUps:Callbacks:Rules:0:On", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("FollowUps:Callbacks:Rules:0:Delay", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("FollowUps:Callbacks:Rules:1:Url", StringComparison.Ordinal));
    }
}
