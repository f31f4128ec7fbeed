namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>The credentials the secured test hosts are configured with, and the headers that present them.</summary>
public static class TestCredentials
{
    public const string OrgA = "org-a-7d1e";
    public const string OrgB = "org-b-93fc";

    // Verbex: header credentials, two of them bound to a tenant each, one unbound.
    public const string VerbexKeyA = "verbex-key-tenant-a-5f0c2e9b";
    public const string VerbexKeyB = "verbex-key-tenant-b-1a7d44c0";
    public const string VerbexBearer = "Bearer verbex-unbound-9c31b7e2aa";

    // SubVerse: a custom header AND Standard Webhooks signatures (two secrets: current and the one being rotated out).
    public const string SubVerseBearer = "Bearer subverse-token-3b8f0d6e41c2";
    public const string SubVerseApiKeyA = "subverse-key-tenant-a-77e0d1";
    public const string SubVerseApiKeyB = "subverse-key-tenant-b-3c91f4";
    public static readonly byte[] SigningKey = Convert.FromHexString("8f3a1c5e7b9d0f2a4c6e8a0b2d4f6a8c0e2b4d6f8a1c3e5f7a9b1d3f5a7c9e0b");
    public static readonly byte[] OldSigningKey = Convert.FromHexString("11223344556677889900aabbccddeeff00112233445566778899aabbccddeeff");
    public static readonly string SigningSecret = "whsec_" + Convert.ToBase64String(SigningKey);
    public static readonly string OldSigningSecret = "whsec_" + Convert.ToBase64String(OldSigningKey);

    public const string OperatorKey = "operator-global-4e2a9d7c51";
    public const string OperatorKeyA = "operator-tenant-a-0b6c3f18";
    public const string OperatorKeyB = "operator-tenant-b-d85e27a9";

    /// <summary>Every secret, to check that no answer ever echoes one.</summary>
    public static IReadOnlyList<string> AllSecrets { get; } =
    [
        VerbexKeyA, VerbexKeyB, VerbexBearer, SubVerseBearer, SubVerseApiKeyA, SubVerseApiKeyB, SigningSecret, OldSigningSecret,
        Convert.ToBase64String(SigningKey), OperatorKey, OperatorKeyA, OperatorKeyB,
    ];

    /// <summary>Host arguments configuring all of the above.</summary>
    public static List<string> Args() =>
    [
        "--Security:Sources:verbex:Credentials:0:Name=verbex-a",
        "--Security:Sources:verbex:Credentials:0:Header=X-API-Key",
        $"--Security:Sources:verbex:Credentials:0:Secret={VerbexKeyA}",
        $"--Security:Sources:verbex:Credentials:0:OrganizationId={OrgA}",
        "--Security:Sources:verbex:Credentials:1:Name=verbex-b",
        "--Security:Sources:verbex:Credentials:1:Header=X-API-Key",
        $"--Security:Sources:verbex:Credentials:1:Secret={VerbexKeyB}",
        $"--Security:Sources:verbex:Credentials:1:OrganizationId={OrgB}",
        "--Security:Sources:verbex:Credentials:2:Name=verbex-unbound",
        $"--Security:Sources:verbex:Credentials:2:Secret={VerbexBearer}",
        "--Security:Sources:subverse:Credentials:0:Header=Authorization",
        $"--Security:Sources:subverse:Credentials:0:Secret={SubVerseBearer}",
        "--Security:Sources:subverse:Credentials:1:Header=X-API-Key",
        $"--Security:Sources:subverse:Credentials:1:Secret={SubVerseApiKeyA}",
        $"--Security:Sources:subverse:Credentials:1:OrganizationId={OrgA}",
        "--Security:Sources:subverse:Credentials:2:Header=X-API-Key",
        $"--Security:Sources:subverse:Credentials:2:Secret={SubVerseApiKeyB}",
        $"--Security:Sources:subverse:Credentials:2:OrganizationId={OrgB}",
        $"--Security:Sources:subverse:SigningSecrets:0:Secret={SigningSecret}",
        $"--Security:Sources:subverse:SigningSecrets:1:Secret={OldSigningSecret}",
        $"--Security:OperatorKeys:0:Key={OperatorKey}",
        $"--Security:OperatorKeys:1:Key={OperatorKeyA}",
        $"--Security:OperatorKeys:1:OrganizationId={OrgA}",
        $"--Security:OperatorKeys:2:Key={OperatorKeyB}",
        $"--Security:OperatorKeys:2:OrganizationId={OrgB}",
    ];

    public static (string, string)[] VerbexA => [("X-API-Key", VerbexKeyA)];

    public static (string, string)[] VerbexB => [("X-API-Key", VerbexKeyB)];

    public static (string, string)[] VerbexUnbound => [("Authorization", VerbexBearer)];

    /// <summary>SubVerse's headers: its bearer token (or <paramref name="credential"/>) and a fresh signature of <paramref name="body"/>.</summary>
    public static (string, string)[] SubVerse(byte[] body, (string, string)? credential = null, byte[]? key = null, DateTimeOffset? at = null, string? id = null) =>
    [
        credential ?? ("Authorization", SubVerseBearer),
        .. StandardWebhookSigner.Headers(key ?? SigningKey, id ?? $"msg_{Guid.NewGuid():N}", at ?? DateTimeOffset.UtcNow, body),
    ];
}
