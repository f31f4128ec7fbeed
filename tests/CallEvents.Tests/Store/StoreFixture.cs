using CallEvents.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CallEvents.Tests.Store;

/// <summary>
/// An embedded host for the event-store features (search, erasure, export, retention, retry), on a fake service clock
/// (Orleans keeps its own), with callback rules aimed at a receiver that can be told to fail.
/// </summary>
public sealed class StoreFixture : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public CallbackReceiver Receiver { get; private set; } = null!;

    public HostInstance Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Receiver = await CallbackReceiver.StartAsync();
        Host = await HostInstance.StartAsync(
            null,
            $"store-{Guid.NewGuid():N}",
            [
                "--Retention:EraseFinishedAfter=01:00:00",
                "--FollowUps:MaxAttempts=2",
                "--FollowUps:FirstRetryDelay=00:00:00.050",
                $"--FollowUps:Callbacks:DefaultUrl={Receiver.Url}/pca",
                "--FollowUps:Callbacks:Rules:0:Name=every-pca",
            ],
            silo => silo.Services.AddKeyedSingleton<TimeProvider>(CallEventClock.Key, Clock));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class StoreCollection : ICollectionFixture<StoreFixture>
{
    public const string Name = "store";
}
