using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Ingress.OpenApi;

/// <summary>
/// The OpenAPI document of the HTTP surface (<c>GET /openapi/v1.json</c>, no credentials needed): every endpoint with
/// its answers and problems, the webhook payloads with an example per provider, and the security schemes (operator
/// keys, webhook header credentials, Standard Webhooks signatures).
/// </summary>
public static class CallEventOpenApi
{
    /// <summary>The document's name, and so its path: <c>/openapi/v1.json</c>.</summary>
    public const string DocumentName = "v1";

    /// <summary>Adds the document generator (<c>AddOpenApi</c>) with this service's transformers.</summary>
    public static IServiceCollection AddCallEventOpenApi(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer<SurfaceDocumentTransformer>();
            options.AddOperationTransformer<SurfaceOperationTransformer>();
        });
    }

    /// <summary>
    /// Maps <c>GET /openapi/v1.json</c>. It stays anonymous whatever credentials are configured: it describes the
    /// surface, names no secret and no configured header, and a provider or operator needs it before holding a key.
    /// </summary>
    public static IEndpointConventionBuilder MapCallEventOpenApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapOpenApi().AllowAnonymous();
    }
}
