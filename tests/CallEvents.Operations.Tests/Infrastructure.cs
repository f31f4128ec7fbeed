using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using CallEvents.TestSupport;

namespace CallEvents.Operations.Tests;

/// <summary>The tests of this project share one PostgreSQL server and run one after another (some stop it).</summary>
[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "operations";
}

internal static class Deliveries
{
    public const string OperatorKey = "operator-ops-tests-7c1e94b2";

    /// <summary>A Verbex delivery of <paramref name="eventName"/> for <paramref name="callId"/>, its own trace id.</summary>
    public static byte[] Verbex(string eventName, string callId, string traceId) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"organizationId":"org-ops","traceId":"{{{traceId}}}","eventName":"{{{eventName}}}","timestamp":{{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0}}},"payload":{"call_id":"{{{callId}}}","agent_id":"agent-ops","status":"success"}}"""));

    public static byte[] Fixture(string path) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", path));

    public static HttpRequestMessage Get(string path, string? operatorKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (operatorKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        }

        return request;
    }

    public static StringContent Json(byte[] body) => new(Encoding.UTF8.GetString(body), Encoding.UTF8, "application/json");
}

/// <summary>The built executable (src/OrleansHost), which this project builds first.</summary>
internal static class BuiltHost
{
    public static string DllPath
    {
        get
        {
            var path = typeof(BuiltHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CallEvents.OrleansHostDll").Value!;
            Assert.True(File.Exists(path), $"{path} does not exist: build tests/CallEvents.Operations.Tests (it builds src/OrleansHost first)");
            return path;
        }
    }
}

internal static class Hosts
{
    /// <summary>A PostgreSQL-mode host on its own database, open to anonymous callers.</summary>
    public static Task<LoopbackHost> StartPostgresAsync(string connectionString, params string[] args) =>
        LoopbackHost.StartAsync(new LoopbackHostOptions
        {
            ConnectionString = connectionString,
            Args = ["--Security:AllowAnonymous=true", "--Logging:LogLevel:Polly=Error", "--Dashboard:Enabled=false", .. args],
        });
}
