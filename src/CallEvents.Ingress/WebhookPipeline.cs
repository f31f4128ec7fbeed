using System.Text.Json;
using CallEvents.Ingress.Adapters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress;

/// <summary>
/// The one pipeline every provider shares: content type, size limit, authentication, JSON parse, the provider
/// adapter, tenant check, then the grain with a deadline, answered per docs/design.md §4. Only a committed grain write
/// produces a 2xx.
/// </summary>
public sealed class WebhookPipeline(
    IEnumerable<IProviderAdapter> adapters,
    GrainGateway gateway,
    Security.WebhookGuard guard,
    ServiceDrain drain,
    IOptions<IngressOptions> options,
    [FromKeyedServices(CallEventClock.Key)] TimeProvider time,
    ILogger<WebhookPipeline> logger)
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = 64,
        // Two values for one key are ambiguous (which one did the provider mean?): refuse rather than guess.
        AllowDuplicateProperties = false,
    };

    private readonly Dictionary<string, IProviderAdapter> _adapters = adapters.ToDictionary(a => a.Source, StringComparer.Ordinal);

    /// <summary>
    /// Handles one delivery for <paramref name="source"/>, and counts it by source, event type and outcome with the
    /// time to its answer (<see cref="CallEventsTelemetry.Deliveries"/>, <see cref="CallEventsTelemetry.AcknowledgementDuration"/>).
    /// </summary>
    public async Task<IResult> HandleAsync(string source, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_adapters.TryGetValue(source, out var adapter))
        {
            return Answers.NotFound($"There is no webhook endpoint for source '{source}'.");
        }

        var tally = new DeliveryTally();
        context.Features.Set(tally);
        IResult? answer = null;
        try
        {
            answer = await HandleAsync(adapter, tally, context);
            return answer;
        }
        finally
        {
            // A delivery whose client went away (an exception out of the handler) is not counted: nobody got an answer.
            if (answer is not null)
            {
                tally.Record(source, (answer as IStatusCodeHttpResult)?.StatusCode ?? StatusCodes.Status200OK);
            }
        }
    }

    private async Task<IResult> HandleAsync(IProviderAdapter adapter, DeliveryTally tally, HttpContext context)
    {
        var source = adapter.Source;
        if (drain.IsDraining)
        {
            // Shutting down: the provider retries, and its retry reaches a silo that is not leaving.
            tally.Reason = "draining";
            return Answers.Unavailable(context, options.Value.RetryAfterSeconds, "This instance is shutting down; retry later.");
        }

        var request = context.Request;
        if (!IsJson(request))
        {
            tally.Reason = "unsupported-media-type";
            return Answers.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "The body must be sent as Content-Type: application/json (UTF-8).");
        }

        var limit = options.Value.MaxBodyBytes;
        ReadOnlyMemory<byte>? body;
        try
        {
            body = await ReadBodyAsync(request, limit, context.RequestAborted);
        }
        catch (IOException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Broken framing (a bad chunk, a body shorter than its Content-Length, a trickle) is the client's fault.
            var status = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            tally.Reason = "unreadable-body";
            return Answers.Problem(status, "Unreadable body", "The request body could not be read as sent.");
        }

        if (body is null)
        {
            tally.Reason = "too-large";
            return Answers.Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is larger than the limit of {limit} bytes.");
        }

        // Before any parsing, on the exact bytes (signatures cover them): a forger learns nothing about the payload rules.
        if (guard.Authenticate(source, context, body.Value.Span) is not { } caller)
        {
            return guard.RefuseUnauthenticated(source, context);
        }

        // Charged only now: the body has arrived and the sender is who it says, so neither held connections nor forged
        // requests spend the real provider's budget.
        if (guard.ChargeAuthenticated(source, context) is { } overloaded)
        {
            return overloaded;
        }

        // The JSON reader checks structure, not the bytes inside strings; invalid UTF-8 would surface later as a crash.
        if (!System.Text.Unicode.Utf8.IsValid(body.Value.Span))
        {
            tally.Reason = "invalid-payload";
            return Answers.BadField("$", "The body is not valid UTF-8.");
        }

        // An escaped lone surrogate is valid JSON syntax but not text: every read of it throws (even the parser's
        // duplicate-key check, for a key), so refuse it before parsing.
        if (Security.HostileJson.HasUndecodableStrings(body.Value.Span, DocumentOptions.MaxDepth))
        {
            tally.Reason = "invalid-payload";
            return Answers.BadField("$", "The body holds a string with an escaped lone UTF-16 surrogate, which is not text.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Value, DocumentOptions);
        }
        catch (JsonException ex)
        {
            tally.Reason = "invalid-json";
            return Answers.BadField("$", $"The body is not valid JSON: {JsonErrorSummary(ex)}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                tally.Reason = "invalid-payload";
                return Answers.BadField("$", $"The body must be a JSON object, not {FieldReader.Describe(document.RootElement.ValueKind)}.");
            }

            var parsed = adapter.Parse(new WebhookRequest(body.Value, document.RootElement, request.Headers, time.GetUtcNow()));
            if (parsed.Problem is { } problem)
            {
                tally.Reason = "invalid-payload";
                IngressMessages.Rejected(logger, source, problem.Field);
                return Answers.BadField(problem.Field, problem.Detail);
            }

            var incoming = parsed.Event!;
            tally.EventType = incoming.Type == NormalizedEventType.Unknown ? DeliveryTally.Unrecognized : incoming.EventName;
            using var admission = guard.Admit(caller, incoming, context);
            if (admission.Refusal is { } refusal)
            {
                return refusal;
            }

            var outcome = await gateway.IngestAsync(admission.Event, context.RequestAborted);
            (tally.Outcome, tally.Reason) = outcome switch
            {
                { Status: IngestStatus.Accepted, Late: true } => (DeliveryTally.Late, null),
                { Status: IngestStatus.Accepted } => (DeliveryTally.Accepted, null),
                { Status: IngestStatus.Duplicate } => (DeliveryTally.Duplicate, null),
                { Status: IngestStatus.Unrecognized } => (DeliveryTally.Unrecognized, null),
                { Status: IngestStatus.Refused } => (DeliveryTally.Unauthorized, "tenant-refused"),
                _ => (DeliveryTally.Unavailable, "not-stored"),
            };
            return outcome switch
            {
                { Status: IngestStatus.Accepted } => TypedResults.Ok(new WebhookAnswer(true, false, incoming.EventName)),
                { Status: IngestStatus.Duplicate } => TypedResults.Ok(new WebhookAnswer(true, true, incoming.EventName)),
                { Status: IngestStatus.Unrecognized } => TypedResults.Json(new WebhookAnswer(true, false, incoming.EventName, Recognized: false), statusCode: StatusCodes.Status202Accepted),
                { Status: IngestStatus.Refused } => Answers.Unauthorized(),
                _ => Answers.Unavailable(context, options.Value.RetryAfterSeconds, outcome.Detail ?? "The event could not be stored; retry later."),
            };
        }
    }

    private static bool IsJson(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
        {
            return false;
        }

        var isJson = mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        var charset = mediaType.Charset;
        return isJson && (charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads the whole body, or returns null as soon as it exceeds <paramref name="limit"/>.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string JsonErrorSummary(JsonException ex) =>
        ex.LineNumber is { } line ? $"error at line {line + 1}, byte {ex.BytePositionInLine + 1}." : "malformed JSON.";
}

/// <summary>The body of a 2xx webhook answer.</summary>
/// <param name="Received">Always true: the delivery is stored (or was already).</param>
/// <param name="Duplicate">The delivery had been accepted before; nothing changed.</param>
/// <param name="EventType">The event name as the provider sent it.</param>
/// <param name="Recognized">False for an event name we do not know (stored in history, no state change).</param>
public sealed record WebhookAnswer(
    bool Received,
    bool Duplicate,
    string EventType,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? Recognized = null);
