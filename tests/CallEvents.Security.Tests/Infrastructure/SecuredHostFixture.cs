using System.Net;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>The real host in embedded mode with every <see cref="TestCredentials"/> configured.</summary>
public sealed class SecuredHostFixture : IAsyncLifetime
{
    private SecureHost? _host;

    public SecureHost Host => _host ?? throw new InvalidOperationException("the host is not started");

    public async Task InitializeAsync() =>
        _host = await SecureHost.StartAsync([.. TestCredentials.Args(), "--Security:RateLimit:PermitsPerSecond=100000", "--Security:RateLimit:Burst=100000", "--Security:RateLimit:UnverifiedPermitsPerSecond=100000"]);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>A call's snapshot and history as the global operator sees them, or null when unknown.</summary>
    public async Task<string?> CallStateAsync(string source, string callId)
    {
        var snapshot = await Host.GetAsync($"/calls/{source}/{callId}", TestCredentials.OperatorKey);
        if (snapshot.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, snapshot.StatusCode);
        var events = await Host.GetAsync($"/calls/{source}/{callId}/events", TestCredentials.OperatorKey);
        return await snapshot.Content.ReadAsStringAsync() + "\n" + await events.Content.ReadAsStringAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredHostCollection : ICollectionFixture<SecuredHostFixture>
{
    public const string Name = "secured host";
}
