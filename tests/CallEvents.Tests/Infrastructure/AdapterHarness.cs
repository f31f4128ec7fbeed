using System.Text.Json;
using CallEvents.Ingress;
using CallEvents.Ingress.Adapters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CallEvents.Tests.Infrastructure;

/// <summary>Runs the real adapters over bytes and headers, the way the pipeline does.</summary>
public static class AdapterHarness
{
    public static readonly DateTimeOffset ReceivedAt = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static IProviderAdapter Verbex { get; } = new VerbexAdapter();

    public static IProviderAdapter SubVerse { get; } = new SubVerseAdapter(Options.Create(new IngressOptions()));

    public static ParseResult Parse(IProviderAdapter adapter, byte[] body, params (string Name, string Value)[] headers)
    {
        var headerDictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            headerDictionary.Append(name, value);
        }

        using var document = JsonDocument.Parse(body);
        return adapter.Parse(new WebhookRequest(body, document.RootElement.Clone(), headerDictionary, ReceivedAt));
    }

    public static IncomingEvent Event(IProviderAdapter adapter, byte[] body, params (string Name, string Value)[] headers)
    {
        var result = Parse(adapter, body, headers);
        Assert.True(result.Problem is null, $"expected an event, got problem {result.Problem}");
        return result.Event!;
    }

    public static InputProblem Problem(IProviderAdapter adapter, byte[] body, params (string Name, string Value)[] headers)
    {
        var result = Parse(adapter, body, headers);
        Assert.True(result.Problem is not null, $"expected a problem, got event {result.Event?.Type}");
        return result.Problem!;
    }
}
