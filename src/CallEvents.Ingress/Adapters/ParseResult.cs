namespace CallEvents.Ingress.Adapters;

/// <summary>Why a delivery was refused as bad input: the JSON path (or header) at fault and what is wrong with it.</summary>
public sealed record InputProblem(string Field, string Detail);

/// <summary>An adapter's answer: a normalized event, or the problem that makes the delivery bad input.</summary>
public readonly record struct ParseResult(IncomingEvent? Event, InputProblem? Problem)
{
    /// <summary>Success.</summary>
    public static implicit operator ParseResult(IncomingEvent incoming) => new(incoming, null);

    /// <summary>Bad input.</summary>
    public static implicit operator ParseResult(InputProblem problem) => new(null, problem);
}

/// <summary>Turns one provider's webhook request into a normalized event. One per provider; one shared pipeline.</summary>
public interface IProviderAdapter
{
    /// <summary>The source name, as in <c>POST /webhooks/{source}</c> and grain keys.</summary>
    string Source { get; }

    /// <summary>Maps a parsed body (and the request headers) to an event, or names the bad field.</summary>
    ParseResult Parse(WebhookRequest request);
}

/// <summary>One webhook request as the pipeline hands it to an adapter.</summary>
/// <param name="Body">The exact bytes received.</param>
/// <param name="Root">The parsed JSON object.</param>
/// <param name="Headers">The request headers.</param>
/// <param name="ReceivedAt">When the request arrived.</param>
public sealed record WebhookRequest(
    ReadOnlyMemory<byte> Body,
    System.Text.Json.JsonElement Root,
    Microsoft.AspNetCore.Http.IHeaderDictionary Headers,
    DateTimeOffset ReceivedAt);
