using System.Net;
using CallEvents.FollowUps.Callbacks;
using CallEvents.TestSupport;
using CallEvents.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace CallEvents.Tests.FollowUps;

/// <summary>
/// A built-in callback grain without a rule for any namespace it subscribes to is not hosted, so emissions do not
/// activate it (and load its state) only for it to ignore them; with a rule for one of its namespaces it is.
/// </summary>
public sealed class CallbackHostingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Callback_grains_are_activated_by_emissions_only_when_a_rule_could_use_them(bool stalledRule)
    {
        string[] args = stalledRule
            ? ["--FollowUps:Callbacks:DefaultUrl=http://127.0.0.1:9/unused", "--FollowUps:Callbacks:Rules:0:Name=stalled", "--FollowUps:Callbacks:Rules:0:On=Stalled"]
            : [];
        await using var host = await HostInstance.StartAsync(null, $"hosting-{Guid.NewGuid():N}", args);
        var callId = $"hosting-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallEnded", callId, $"{callId}-end", 1762408841m))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.PostAsync("verbex", FixtureFiles.Verbex("callAnalysis.pcaCompleted", callId, $"{callId}-pca", 1762408850m))).StatusCode);

        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);

        async Task<bool> CallbackGrainActive() =>
            (await management.GetSimpleGrainStatistics()).Any(s => s.GrainType.Contains("CallCallbackFollowUpGrain", StringComparison.Ordinal));

        if (stalledRule)
        {
            // Hosted for its call-stalled rule, so the call-pca-ready emission (which it also subscribes to) activates it.
            await Wait.UntilAsync(CallbackGrainActive, TimeSpan.FromSeconds(15), "the call callback grain activated by the emission");
        }
        else
        {
            // Not hosted: the emission goes by without activating it (the same emission activates it above within ms).
            var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2);
            while (DateTimeOffset.UtcNow < until)
            {
                Assert.False(await CallbackGrainActive(), "a callback grain without rules was activated");
                await Task.Delay(200);
            }
        }

        Assert.Equal(CallPhase.PcaReady, (await grains.GetGrain<ICallGrain>(GrainKeys.Call(EventSources.Verbex, callId)).GetSnapshotAsync())!.Status);
    }
}

/// <summary>
/// A silo composed from the registration extensions without any follow-up registered (like this fixture) does not
/// host the built-in callback grains, whose services (rules, dispatcher) it never added: otherwise their implicit
/// subscriptions would try, and fail, to construct them for every emission.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class UnregisteredFollowUpTests(ClusterFixture fixture)
{
    [Fact]
    public void Follow_up_grains_not_registered_with_AddFollowUpGrain_are_not_hosted()
    {
        foreach (var silo in fixture.Cluster.Silos)
        {
            var classes = silo.ServiceProvider.GetRequiredService<IOptions<GrainTypeOptions>>().Value.Classes;
            Assert.DoesNotContain(typeof(CallCallbackFollowUpGrain), classes);
            Assert.DoesNotContain(typeof(WorkflowCallbackFollowUpGrain), classes);
            Assert.Contains(typeof(CallEvents.Grains.CallGrain), classes);
        }
    }
}
