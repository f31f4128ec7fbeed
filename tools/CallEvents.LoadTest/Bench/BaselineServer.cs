using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using NpgsqlTypes;

namespace CallEvents.LoadTest.Bench;

/// <summary>
/// The endpoint a user would write from the providers' Express/Flask examples, in ASP.NET Core: <c>POST
/// /webhook</c> parses the JSON, takes a dedup key (Verbex <c>traceId</c>, else the SHA-256 of the body), does one
/// <c>INSERT … ON CONFLICT (dedup_key) DO NOTHING</c> on a pooled <see cref="NpgsqlDataSource"/>, and answers
/// 200 <c>{"received":true}</c>. No reconciliation, no per-call state, no ordering: the floor our ingress is
/// compared against.
/// </summary>
public sealed class BaselineServer : IAsyncDisposable
{
    private const string Insert = "INSERT INTO baseline_events (dedup_key, call_id, event_name, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING";
    private static readonly byte[] Received = "{\"received\":true}"u8.ToArray();

    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _database;

    private BaselineServer(WebApplication app, NpgsqlDataSource database, Uri baseAddress)
    {
        _app = app;
        _database = database;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<BaselineServer> StartAsync(string connectionString, int maxPoolSize)
    {
        var database = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize }.ConnectionString).Build();
        await using (var create = database.CreateCommand(
            "CREATE TABLE IF NOT EXISTS baseline_events (dedup_key text PRIMARY KEY, call_id text NOT NULL, event_name text NOT NULL, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(database);
        var app = builder.Build();
        app.MapPost("/webhook", HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new BaselineServer(app, database, new Uri(address));
    }

    /// <summary>Rows stored (distinct events).</summary>
    public async Task<long> CountAsync()
    {
        await using var count = _database.CreateCommand("SELECT count(*) FROM baseline_events");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext context, NpgsqlDataSource database)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        string dedupKey;
        string? callId;
        string? eventName;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.TryGetProperty("traceId", out var traceId))
            {
                dedupKey = "verbex:" + traceId.GetString();
                eventName = root.GetProperty("eventName").GetString();
                callId = root.GetProperty("payload").GetProperty("call_id").GetString();
            }
            else
            {
                dedupKey = "subverse:" + Convert.ToHexStringLower(SHA256.HashData(body));
                eventName = root.GetProperty("eventType").GetString();
                var data = root.GetProperty("data");
                callId = data.TryGetProperty("callId", out var c) ? c.GetString() : data.GetProperty("executionId").GetString();
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        await using var insert = database.CreateCommand(Insert);
        insert.Parameters.Add(new NpgsqlParameter { Value = dedupKey });
        insert.Parameters.Add(new NpgsqlParameter { Value = callId ?? string.Empty });
        insert.Parameters.Add(new NpgsqlParameter { Value = eventName ?? string.Empty });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = Encoding.UTF8.GetString(body) });
        await insert.ExecuteNonQueryAsync(context.RequestAborted);

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Received, context.RequestAborted);
    }
}
