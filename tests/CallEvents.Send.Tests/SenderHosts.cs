using CallEvents.TestSupport;

namespace CallEvents.Send.Tests;

/// <summary>An embedded host without credentials: every webhook surface runs open.</summary>
public sealed class OpenHostFixture : IAsyncLifetime
{
    public LoopbackHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LoopbackHost.StartAsync(new LoopbackHostOptions());

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// An embedded host whose SubVerse deliveries must be signed (Standard Webhooks) and whose Verbex deliveries must
/// carry one of two header credentials.
/// </summary>
public sealed class SecuredHostFixture : IAsyncLifetime
{
    public const string SigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwX6Yp3U9nDd0=";
    public const string OtherSigningSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    public const string BearerToken = "verbex-bearer-6f1c9a0e8b7d4c3e";
    public const string ApiKey = "verbex-api-key-9d8e7f6a5b4c3d2e";
    public const string OperatorKey = "send-tests-operator-key-0b6c3f18";

    public LoopbackHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LoopbackHost.StartAsync(new LoopbackHostOptions
    {
        Args =
        [
            $"--Security:Sources:subverse:SigningSecrets:0:Secret={SigningSecret}",
            "--Security:Sources:verbex:Credentials:0:Header=Authorization",
            $"--Security:Sources:verbex:Credentials:0:Secret=Bearer {BearerToken}",
            "--Security:Sources:verbex:Credentials:1:Header=X-API-Key",
            $"--Security:Sources:verbex:Credentials:1:Secret={ApiKey}",
            $"--Security:OperatorKeys:0:Key={OperatorKey}",
        ],
    });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
