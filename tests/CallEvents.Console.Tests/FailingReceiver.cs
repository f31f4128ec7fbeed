using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallEvents.ConsoleTests;

/// <summary>
/// A callback target on a loopback port that answers 500 to every callback about a call until told to succeed for that
/// call, and records what it answered per call key.
/// </summary>
public sealed class FailingReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Key, int Status)> _received = new();
    private readonly ConcurrentDictionary<string, bool> _succeeding = new();

    private FailingReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<FailingReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new FailingReceiver(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body);
            var key = body?["key"]?.GetValue<string>() ?? "";
            var status = receiver._succeeding.ContainsKey(key) ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError;
            receiver._received.Enqueue((key, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return receiver;
    }

    /// <summary>From now on, answer 200 to callbacks about <paramref name="key"/>.</summary>
    public void Succeed(string key) => _succeeding[key] = true;

    /// <summary>The statuses answered to callbacks about <paramref name="key"/>, in order.</summary>
    public IReadOnlyList<int> AnsweredFor(string key) => [.. _received.Where(r => r.Key == key).Select(r => r.Status)];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
