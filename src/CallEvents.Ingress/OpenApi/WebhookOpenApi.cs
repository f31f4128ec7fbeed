using CallEvents.Ingress.Adapters;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CallEvents.Ingress.OpenApi;

/// <summary>The documentation of <c>POST /webhooks/{source}</c>: the provider's payload, the answers, the credentials.</summary>
internal static class WebhookOpenApi
{
    private static readonly Dictionary<string, (string Display, string[] Examples)> Sources = new(StringComparer.Ordinal)
    {
        [EventSources.Verbex] = ("Verbex", ["verbex/call-started.json", "verbex/call-ended.json", "verbex/pca-completed.json"]),
        [EventSources.SubVerse] = ("SubVerse AI", ["subverse/call-placed.json", "subverse/workflow-in-queue.json"]),
    };

    /// <summary>Documents one source's webhook endpoint.</summary>
    public static RouteHandlerBuilder DocumentWebhook(this RouteHandlerBuilder endpoint, string source)
    {
        var display = Sources.TryGetValue(source, out var known) ? known.Display : source;
        return endpoint
            .WithName($"Webhook.{source}")
            .WithSummary($"Receive a {display} webhook delivery")
            .WithDescription(
                $"Point {display}'s webhook at this URL. The body is the provider's payload exactly as it sends it; the event is "
                + "stored in its call's (or workflow execution's) grain before any 2xx, and a delivery already accepted is answered "
                + "200 with duplicate=true and changes nothing. Retry anything 5xx: it is safe.")
            .Produces<WebhookAnswer>(StatusCodes.Status200OK)
            .Produces<WebhookAnswer>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context, source, display);
                return Task.CompletedTask;
            });
    }

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context, string source, string display)
    {
        var media = new OpenApiMediaType
        {
            // The adapters read a few fields and keep the rest verbatim; the shape is the provider's to change.
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = $"A {display} webhook payload, as {display} sends it (UTF-8 JSON object, no duplicate keys).",
            },
            Examples = new Dictionary<string, IOpenApiExample>(StringComparer.Ordinal),
        };
        foreach (var path in Sources.TryGetValue(source, out var known) ? known.Examples : [])
        {
            media.Examples[Path.GetFileNameWithoutExtension(path)] = new OpenApiExample
            {
                Summary = $"{display}: {Path.GetFileNameWithoutExtension(path)} (from the provider's guide)",
                Value = OpenApiDocs.Example(path),
            };
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = $"The {display} payload, at most Ingress:MaxBodyBytes (1 MiB by default). Content-Type must be JSON (UTF-8).",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["application/json"] = media },
        };

        operation.Parameters ??= [];
        foreach (var (name, description) in HeadersOf(source))
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Header,
                Required = false,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        // Which credential applies is configuration: header credentials, Standard Webhooks signatures, or both
        // (then a delivery must pass both). A source without credentials runs open only on a development host or
        // with Security:AllowAnonymous.
        operation.Security =
        [
            OpenApiDocs.Requirement(context.Document, SchemeIds.WebhookCredential),
            OpenApiDocs.Requirement(context.Document, SchemeIds.WebhookId, SchemeIds.WebhookTimestamp, SchemeIds.WebhookSignature),
            OpenApiDocs.Requirement(context.Document, SchemeIds.WebhookCredential, SchemeIds.WebhookId, SchemeIds.WebhookTimestamp, SchemeIds.WebhookSignature),
        ];

        OpenApiDocs.Describe(operation, StatusCodes.Status200OK, "Stored (duplicate=false), or already accepted before (duplicate=true: nothing changed).");
        OpenApiDocs.Describe(operation, StatusCodes.Status202Accepted, "An event name this service does not know, for a call or execution it can identify: kept in the history, no state change (recognized=false).");
        OpenApiDocs.Describe(operation, StatusCodes.Status400BadRequest, "Not valid UTF-8 JSON, not an object, duplicate keys, a missing id, event name or entity key, wrong types, or a header that contradicts the body; 'field' names the JSON path or header at fault.");
        OpenApiDocs.Describe(operation, StatusCodes.Status401Unauthorized, "Missing or wrong credentials or signature, or a tenant-bound credential writing another tenant's call; the same body whatever failed.");
        OpenApiDocs.Describe(operation, StatusCodes.Status413PayloadTooLarge, "The body is larger than Ingress:MaxBodyBytes.");
        OpenApiDocs.Describe(operation, StatusCodes.Status415UnsupportedMediaType, "Content-Type is not JSON, or names a charset other than UTF-8.");
        OpenApiDocs.Describe(operation, StatusCodes.Status422UnprocessableEntity, "The call or execution already holds Processing:MaxEventsPerEntity distinct events.");
        OpenApiDocs.Describe(operation, StatusCodes.Status429TooManyRequests, "Too many requests that failed authentication (verified deliveries over the rate limit get 503 unless the source is configured for 429).");
        OpenApiDocs.Describe(operation, StatusCodes.Status503ServiceUnavailable, "Not stored: the write failed, the grain did not answer within Ingress:GrainCallTimeout, the entity or source is busy. Retry after Retry-After seconds.");
    }

    private static IEnumerable<(string Name, string Description)> HeadersOf(string source) => source switch
    {
        EventSources.Verbex =>
        [
            (VerbexAdapter.EventHeader, "Sent by Verbex; when present it must equal the body's eventName (400 otherwise)."),
            (VerbexAdapter.TraceIdHeader, "Sent by Verbex; when present it must equal the body's traceId, the delivery's deduplication key (400 otherwise)."),
        ],
        EventSources.SubVerse =>
        [
            ("X-Webhook-Id", "A delivery id (Ingress:SubVerseDeliveryIdHeaders, after webhook-id): the deduplication key. Without one, the SHA-256 of the exact body is."),
        ],
        _ => [],
    };
}
