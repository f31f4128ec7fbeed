using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on a loopback port that records every callback it receives. Per call key it can be told
/// to answer a sequence of status codes first (e.g. 500, 503, then 200).
/// </summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripted = new();

    private CallbackReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<Received> All => [.. _received];

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var raw = buffer.ToArray();
            var body = JsonNode.Parse(raw)!.AsObject();
            var key = body["key"]?.GetValue<string>() ?? body["event"]?["key"]?.GetValue<string>() ?? "";
            var status = receiver._scripted.TryGetValue(key, out var queue) && queue.TryDequeue(out var scripted) ? scripted : 200;
            receiver._received.Enqueue(new Received(
                context.Request.Path, context.Request.Headers["Idempotency-Key"].ToString(), key, body, status, DateTimeOffset.UtcNow)
            {
                RawBody = raw,
                Headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            });
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return receiver;
    }

    /// <summary>Answers these status codes, in order, to the next callbacks about <paramref name="key"/>.</summary>
    public void Script(string key, params int[] statuses) => _scripted[key] = new ConcurrentQueue<int>(statuses);

    public IReadOnlyList<Received> For(string key) => [.. _received.Where(r => r.Key == key)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string Path, string IdempotencyKey, string Key, JsonObject Body, int AnsweredStatus, DateTimeOffset At)
    {
        public byte[] RawBody { get; init; } = [];

        public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    }
}
