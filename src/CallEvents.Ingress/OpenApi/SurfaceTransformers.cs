using System.Text.Json.Nodes;
using CallEvents.Ingress.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace CallEvents.Ingress.OpenApi;

/// <summary>The security schemes of the document, by id.</summary>
internal static class SchemeIds
{
    public const string OperatorBearer = "operatorBearer";
    public const string OperatorApiKey = "operatorApiKey";
    public const string WebhookCredential = "webhookCredential";
    public const string WebhookId = "webhookId";
    public const string WebhookTimestamp = "webhookTimestamp";
    public const string WebhookSignature = "webhookSignature";
}

/// <summary>The document's description and its security schemes.</summary>
internal sealed class SurfaceDocumentTransformer : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Call-event processor",
            Version = CallEventOpenApi.DocumentName,
            Description = "Webhooks from SubVerse AI and Verbex in, one reconciled snapshot per call and workflow execution out, "
                + "and the follow-ups scheduled for them. Every error answer is application/problem+json; a 503 always carries "
                + "Retry-After, and the provider's retry of it is safe (deliveries are deduplicated without a time window).",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        var schemes = document.Components.SecuritySchemes;
        schemes[SchemeIds.OperatorBearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An operator key (Security:OperatorKeys:N:Key) as Authorization: Bearer <key>. A key with an OrganizationId "
                + "sees only that tenant's calls and workflow executions (404 for others, as for unknown ones).",
        };
        schemes[SchemeIds.OperatorApiKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = OperatorAccess.ApiKeyHeader,
            Description = "An operator key in X-API-Key, as an alternative to the bearer token.",
        };
        schemes[SchemeIds.WebhookCredential] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = HeaderNames.Authorization,
            Description = "A webhook header credential: the exact value configured in Security:Sources:<source>:Credentials:N:Secret "
                + "(e.g. 'Bearer 6f1c…'), sent in the header that credential names (Authorization by default; X-API-Key is common). "
                + "Set as a custom header in the provider's webhook settings.",
        };
        schemes[SchemeIds.WebhookId] = SignatureHeader(StandardWebhooks.IdHeader, "Standard Webhooks: the delivery's unique id, signed with it (also its deduplication key for SubVerse).");
        schemes[SchemeIds.WebhookTimestamp] = SignatureHeader(StandardWebhooks.TimestampHeader, "Standard Webhooks: Unix seconds of the signing, within Security:SignatureTolerance (5 min) of our clock.");
        schemes[SchemeIds.WebhookSignature] = SignatureHeader(
            StandardWebhooks.SignatureHeader,
            "Standard Webhooks: space-separated 'v1,<base64 HMAC-SHA256>' of '{webhook-id}.{webhook-timestamp}.{exact body bytes}' "
            + "under one of the source's signing secrets (Security:Sources:<source>:SigningSecrets:N:Secret, whsec_…).");
        return Task.CompletedTask;
    }

    private static OpenApiSecurityScheme SignatureHeader(string name, string description) =>
        new() { Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = name, Description = description };
}

/// <summary>
/// What every operation gets from the surface's conventions rather than from each endpoint: the operator security
/// requirement and <c>WWW-Authenticate</c> on endpoints behind an operator policy, and <c>Retry-After</c> on 429 and 503.
/// </summary>
internal sealed class SurfaceOperationTransformer : IOpenApiOperationTransformer
{
    private static readonly (int Status, string Meaning)[] UsualMeanings =
    [
        (StatusCodes.Status400BadRequest, "A parameter is invalid; 'field' names it."),
        (StatusCodes.Status404NotFound, "Unknown. For a tenant-bound operator key, another tenant's call or execution answers exactly the same."),
        (StatusCodes.Status409Conflict, "The action already ran or was cancelled."),
        (StatusCodes.Status503ServiceUnavailable, "The cluster did not answer in time; retry after Retry-After seconds."),
    ];

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is OperatorPolicies.Operator or OperatorPolicies.TenantScoped))
        {
            operation.Security =
            [
                OpenApiDocs.Requirement(context.Document, SchemeIds.OperatorBearer),
                OpenApiDocs.Requirement(context.Document, SchemeIds.OperatorApiKey),
            ];
            OpenApiDocs.AddHeader(operation, StatusCodes.Status401Unauthorized, HeaderNames.WWWAuthenticate, JsonSchemaType.String, "Always 'Bearer'.");
            OpenApiDocs.Describe(operation, StatusCodes.Status401Unauthorized, "No operator key, or a wrong one (the same body either way).");
            OpenApiDocs.Describe(operation, StatusCodes.Status403Forbidden, "A tenant-bound operator key on an endpoint that names no call or workflow execution.");
        }

        // Answers an endpoint declared without words of its own get the surface's usual meaning.
        foreach (var (status, meaning) in UsualMeanings)
        {
            OpenApiDocs.DescribeIfPlain(operation, status, meaning);
        }

        foreach (var status in new[] { StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable })
        {
            OpenApiDocs.AddHeader(operation, status, HeaderNames.RetryAfter, JsonSchemaType.Integer, "Seconds to wait before retrying.");
        }

        return Task.CompletedTask;
    }
}

/// <summary>Small helpers for describing operations.</summary>
internal static class OpenApiDocs
{
    public static OpenApiSecurityRequirement Requirement(OpenApiDocument? document, params string[] schemeIds)
    {
        var requirement = new OpenApiSecurityRequirement();
        foreach (var id in schemeIds)
        {
            requirement[new OpenApiSecuritySchemeReference(id, document)] = [];
        }

        return requirement;
    }

    /// <summary>Adds a header to the operation's answer with <paramref name="status"/>, when it has one.</summary>
    public static void AddHeader(OpenApiOperation operation, int status, string name, JsonSchemaType type, string description)
    {
        if (operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) == true && found is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.OrdinalIgnoreCase);
            response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = type } };
        }
    }

    /// <summary>Replaces the description of the operation's answer with <paramref name="status"/>, when it has one.</summary>
    public static void Describe(OpenApiOperation operation, int status, string description)
    {
        if (operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) == true && found is OpenApiResponse response)
        {
            response.Description = description;
        }
    }

    /// <summary>Describes the answer with <paramref name="status"/> when it only carries its reason phrase.</summary>
    public static void DescribeIfPlain(OpenApiOperation operation, int status, string description)
    {
        if (operation.Responses?.TryGetValue(status.ToString(System.Globalization.CultureInfo.InvariantCulture), out var found) == true && found is OpenApiResponse response
            && (string.IsNullOrEmpty(response.Description) || response.Description == Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)))
        {
            response.Description = description;
        }
    }

    /// <summary>A JSON example read from this assembly's embedded examples (<c>OpenApi/Examples/{path}</c>).</summary>
    public static JsonNode Example(string path)
    {
        using var stream = typeof(OpenApiDocs).Assembly.GetManifestResourceStream($"openapi-examples/{path}")
            ?? throw new InvalidOperationException($"The OpenAPI example {path} is not embedded in {typeof(OpenApiDocs).Assembly.GetName().Name}.");
        return JsonNode.Parse(stream)!;
    }
}
