using System.Net;
using System.Text.Json.Nodes;
using CallEvents.Sweeping;
using CallEvents.Tests.Infrastructure;
using CallEvents.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static CallEvents.Tests.Http.WebhookHttpTests;

namespace CallEvents.Tests.FollowUps;

/// <summary>
/// The stalled-call watchdog (docs/design.md, rule 6) with the production deadlines, on a fake clock: the test moves time
/// past a deadline and runs the sweep itself, so nothing waits for real seconds to pass and nothing fires early.
/// </summary>
public sealed class StalledCallTests(WatchdogFixture fixture) : IClassFixture<WatchdogFixture>
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 9, 0, 0, TimeSpan.Zero);

    private HostInstance Host => fixture.Host;

    [Fact]
    public async Task A_call_ended_without_pca_is_flagged_stalled_published_and_cleared_when_pca_arrives()
    {
        var callId = $"stall-{Guid.NewGuid():N}";
        var key = $"verbex/{callId}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", FixtureFiles.Verbex("CallHandler.CallEnded", callId, $"{callId}-end", 1762670290m))).StatusCode);

        // A second short of the deadline, a sweep finds nothing to flag.
        await fixture.AdvanceAndSweepAsync(fixture.Lifecycle.PcaDeadline - TimeSpan.FromSeconds(1));
        Assert.Null((await SnapshotAsync(key))["stalled"]);

        await fixture.AdvanceAndSweepAsync(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(async () => (await SnapshotAsync(key))["stalled"] is { } s && s["reason"]!.GetValue<string>() == "EndedWithoutPca", TimeSpan.FromSeconds(20), "the call to be flagged EndedWithoutPca");
        await Wait.UntilAsync(() => fixture.Receiver.For(key).Any(r => r.Path == "/stalled"), TimeSpan.FromSeconds(20), "the stalled callback");
        Assert.Equal("EndedWithoutPca", fixture.Receiver.For(key).First(r => r.Path == "/stalled").Body["event"]!["reason"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("verbex", FixtureFiles.Verbex("callAnalysis.pcaCompleted", callId, $"{callId}-pca", 1762670301m))).StatusCode);
        var snapshot = await SnapshotAsync(key);
        Assert.Null(snapshot["stalled"]);
        Assert.Equal("PcaReady", snapshot["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_call_that_never_ends_is_flagged_not_ended()
    {
        var callId = $"open-{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        Assert.Equal(HttpStatusCode.OK, (await Host.PostAsync("subverse", FixtureFiles.SubVerseCall("call.placed", callId, At, withAnalysis: false))).StatusCode);

        await fixture.AdvanceAndSweepAsync(fixture.Lifecycle.EndDeadline - TimeSpan.FromSeconds(1));
        Assert.Null((await SnapshotAsync(key))["stalled"]);

        await fixture.AdvanceAndSweepAsync(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(async () => (await SnapshotAsync(key))["stalled"] is { } s && s["reason"]!.GetValue<string>() == "NotEnded", TimeSpan.FromSeconds(20), "the call to be flagged NotEnded");
    }

    private async Task<JsonObject> SnapshotAsync(string key) => await JsonAsync(await Host.Http.GetAsync(new Uri($"/calls/{key}", UriKind.Relative)));
}

/// <summary>
/// A host whose service clock (<see cref="CallEventClock"/>: the grains, the sweep and the ingress's receive times) is a
/// <see cref="FakeTimeProvider"/>, with the default stall deadlines and callback rules aimed at a receiver. The one
/// test class that uses it runs its tests one at a time, so they never move each other's clock. Orleans keeps the
/// real clock for its own timers, messaging and membership: the runtime keeps running while the service's deadlines
/// wait for the test to move time.
/// </summary>
public sealed class WatchdogFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public CallbackReceiver Receiver { get; private set; } = null!;

    public HostInstance Host { get; private set; } = null!;

    public LifecycleOptions Lifecycle => Host.Services.GetRequiredService<IOptions<LifecycleOptions>>().Value;

    public async Task InitializeAsync()
    {
        Receiver = await CallbackReceiver.StartAsync();
        Host = await HostInstance.StartAsync(
            null,
            $"watchdog-{Guid.NewGuid():N}",
            [.. FollowUpHostArgs.For(Receiver), $"--Lifecycle:PcaDeadline={new LifecycleOptions().PcaDeadline}", $"--Lifecycle:EndDeadline={new LifecycleOptions().EndDeadline}"],
            silo => silo.Services.AddKeyedSingleton<TimeProvider>(CallEventClock.Key, Time));
        Assert.Same(Time, Host.Services.GetRequiredKeyedService<TimeProvider>(CallEventClock.Key));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>Moves the service clock on, then has every sweeper claim and wake what is due now.</summary>
    /// <remarks>The sweepers' own timers keep sweeping on real time too; whichever claims a due call wakes it.</remarks>
    public async Task AdvanceAndSweepAsync(TimeSpan by)
    {
        Time.Advance(by);
        var grains = Host.Services.GetRequiredService<IGrainFactory>();
        await Task.WhenAll(Enumerable.Range(0, Lifecycle.Sweepers).Select(i => grains.GetGrain<IDueSweeperGrain>(i).SweepAsync()));
    }
}
