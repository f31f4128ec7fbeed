using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress.Security;

/// <summary>Protects operator endpoints (the query API and anything added to its groups) with operator keys.</summary>
public static class OperatorAccess
{
    /// <summary>The header an operator key may be sent in instead of <c>Authorization: Bearer</c>.</summary>
    public const string ApiKeyHeader = "X-API-Key";

    /// <summary>
    /// Requires an operator key (<c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c>) on every
    /// endpoint of <paramref name="builder"/>, including endpoints added to a group later. A key bound to an
    /// organization reaches only <c>{source}/{callId}</c> and <c>{executionId}</c> routes of calls and workflow
    /// executions whose snapshot names that organization (404 otherwise, exactly as for an unknown one); routes naming
    /// neither answer it 403.
    /// </summary>
    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilter<TBuilder, OperatorAccessFilter>();
    }

    /// <summary>The operator key a request authenticated with, once <see cref="RequireOperator"/> has admitted it.</summary>
    /// <returns>The key's label and organization, or null on an open operator API.</returns>
    public static OperatorIdentity? Operator(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<OperatorIdentity>();
    }
}

/// <summary>The operator key a request was admitted with.</summary>
/// <param name="Name">The key's label (never the key).</param>
/// <param name="OrganizationId">Its organization; null for a key that sees every tenant.</param>
public sealed record OperatorIdentity(string Name, string? OrganizationId);

/// <summary>
/// Marks an operator endpoint that narrows its answer to the caller's organization itself (searches, exports): a
/// tenant-bound key may use it, and sees only its own organization's entities.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class TenantScopedAttribute : Attribute;

/// <summary>The endpoint filter behind <see cref="OperatorAccess.RequireOperator"/>.</summary>
internal sealed class OperatorAccessFilter(SecurityPolicy policy, GrainGateway gateway, ILogger<OperatorAccessFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (policy.OperatorAccess == SurfaceAccess.Open)
        {
            return await next(context);
        }

        var presented = PresentedKey(http.Request.Headers);
        var key = presented is null || policy.OperatorAccess == SurfaceAccess.Closed ? null : policy.MatchOperatorKey(presented);
        if (key is null)
        {
            SecurityMessages.OperatorRefused(logger, presented is null ? "missing-key" : "wrong-key", http.Request.Path, http.Connection.RemoteIpAddress);
            http.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
            return Answers.Unauthorized();
        }

        http.Features.Set(new OperatorIdentity(key.Name, key.OrganizationId));
        if (key.OrganizationId is { } tenant && http.GetEndpoint()?.Metadata.GetMetadata<TenantScopedAttribute>() is null)
        {
            var refusal = await TenantRefusalAsync(http, tenant);
            if (refusal is not null)
            {
                return refusal;
            }
        }

        return await next(context);
    }

    private async Task<IResult?> TenantRefusalAsync(HttpContext http, string tenant)
    {
        var source = http.GetRouteValue("source") as string;
        var callId = http.GetRouteValue("callId") as string;
        if (source is not null && callId is not null)
        {
            if (!EventSources.IsKnown(source))
            {
                // The endpoint answers an unknown source with 404 itself; there is no call to protect.
                return null;
            }

            var key = GrainKeys.Call(source, callId);
            var answer = await gateway.QueryAsync(g => g.GetGrain<ICallGrain>(key).GetSnapshotAsync(), $"call {key}", http.RequestAborted);
            if (answer.Unavailable)
            {
                return Answers.Unavailable(http, gateway.RetryAfterSeconds, answer.Failure!);
            }

            // Unknown and another tenant's call get the same answer, so a key cannot probe for other tenants' calls.
            return string.Equals(answer.Value?.OrganizationId, tenant, StringComparison.Ordinal) ? null : NotFound(key);
        }

        if (http.GetRouteValue("executionId") is string executionId)
        {
            var key = GrainKeys.Workflow(EventSources.SubVerse, executionId);
            var answer = await gateway.QueryAsync(g => g.GetGrain<IWorkflowExecutionGrain>(key).GetSnapshotAsync(), $"workflow execution {key}", http.RequestAborted);
            if (answer.Unavailable)
            {
                return Answers.Unavailable(http, gateway.RetryAfterSeconds, answer.Failure!);
            }

            return string.Equals(answer.Value?.OrganizationId, tenant, StringComparison.Ordinal) ? null : NotFound(key);
        }

        return Answers.Problem(StatusCodes.Status403Forbidden, "Forbidden", "This operator key is bound to an organization and cannot use this endpoint.");
    }

    private static IResult NotFound(string key) => Answers.NotFound($"Nothing visible to this key for {key}.");

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        if (headers.TryGetValue(HeaderNames.Authorization, out var authorization) && authorization.Count == 1
            && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return value["Bearer ".Length..].Trim();
        }

        return headers.TryGetValue(OperatorAccess.ApiKeyHeader, out var apiKey) && apiKey.Count == 1 ? apiKey[0] : null;
    }
}
