using CallEvents.FollowUps;
using CallEvents.FollowUps.Callbacks;
using CallEvents.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace CallEvents.Tests.FollowUps;

/// <summary>A follow-up that decides nothing: it shows an emission went out.</summary>
[ImplicitStreamSubscription(StreamNamespaces.CallPcaReady)]
public sealed class ObservingFollowUpGrain(CallEvents.FollowUps.FollowUpServices services) : CallEvents.FollowUps.FollowUpGrain(services)
{
    protected override Task<CallEvents.FollowUps.FollowUpPlan?> DecideAsync(LifecycleEvent lifecycleEvent) => Task.FromResult<CallEvents.FollowUps.FollowUpPlan?>(null);

    protected override Task ExecuteAsync(ScheduledActionRecord action, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// A silo composed from the grains' registration alone (<c>AddCallEventProcessing</c>, no follow-up registered) does
/// not host the built-in callback grains, whose services (rules, dispatcher) it never added: otherwise their implicit
/// subscriptions would try, and fail, to construct them for every emission.
/// </summary>
public sealed class UnregisteredFollowUpTests(UnregisteredFollowUpTests.ProcessingOnlyCluster fixture) : IClassFixture<UnregisteredFollowUpTests.ProcessingOnlyCluster>
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

    [Fact]
    public async Task The_stock_host_hosts_its_callback_grains_even_without_rules()
    {
        // Registered by AddCallbackFollowUps: hosted whatever the rules, so callbacks scheduled under earlier rules still run.
        await using var host = await HostInstance.StartAsync(null, $"hosting-{Guid.NewGuid():N}");
        var classes = host.Services.GetRequiredService<IOptions<GrainTypeOptions>>().Value.Classes;
        Assert.Contains(typeof(CallCallbackFollowUpGrain), classes);
        Assert.Contains(typeof(WorkflowCallbackFollowUpGrain), classes);
    }

    [Fact]
    public async Task Without_a_rule_for_a_namespace_its_emissions_do_not_activate_the_callback_grains()
    {
        // No callback rules; a follow-up of the test's own consumes PCA-ready emissions, so they do go out.
        await using var host = await HostInstance.StartAsync(null, $"unconsumed-{Guid.NewGuid():N}", configureSilo: silo => silo.AddFollowUpGrain<ObservingFollowUpGrain>());
        var callId = $"c-{Guid.NewGuid():N}";
        Assert.Equal(System.Net.HttpStatusCode.OK, (await host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.completed", callId, new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero)))).StatusCode);
        await FollowUpFixture.WaitForFollowUpsAsync(host, $"/calls/subverse/{callId}/follow-ups", f => FollowUpFixture.Decisions(f).Count == 1, "the observing follow-up's decision");

        var statistics = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        Assert.Contains(statistics, s => s.GrainType.Contains(nameof(ObservingFollowUpGrain), StringComparison.Ordinal) && s.ActivationCount > 0);
        Assert.DoesNotContain(statistics, s => s.GrainType.Contains(nameof(CallCallbackFollowUpGrain), StringComparison.Ordinal) && s.ActivationCount > 0);
    }

    /// <summary>
    /// One silo with memory storage and the grains' services only: deliberately not the service's composition
    /// (AddCallEventSilo adds the callback follow-ups), to show what an incomplete one does.
    /// </summary>
    public sealed class ProcessingOnlyCluster : IAsyncLifetime
    {
        public InProcessTestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) =>
            {
                silo.AddMemoryGrainStorage(Names.GrainStorage);
                silo.UseInMemoryReminderService();
                silo.AddCallEventProcessing();
            });
            Cluster = builder.Build();
            await Cluster.DeployAsync();
        }

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }
}
