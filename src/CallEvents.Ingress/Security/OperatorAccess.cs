using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Protects operator endpoints (the query API and anything added to its groups) with operator keys: the
/// <see cref="OperatorKeyDefaults.AuthenticationScheme"/> authentication scheme and the
/// <see cref="OperatorPolicies"/> authorization policies.
/// </summary>
public static class OperatorAccess
{
    /// <summary>The header an operator key may be sent in instead of <c>Authorization: Bearer</c>.</summary>
    public const string ApiKeyHeader = "X-API-Key";

    /// <summary>
    /// Requires an operator key (<c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c>) on every
    /// endpoint of <paramref name="builder"/>, including endpoints added to a group later: it applies the
    /// <see cref="OperatorPolicies.TenantScoped"/> policy. A key bound to an organization reaches only
    /// <c>{source}/{callId}</c> and <c>{executionId}</c> routes of calls and workflow executions whose snapshot names
    /// that organization (404 otherwise, exactly as for an unknown one); routes naming neither answer it 403.
    /// </summary>
    public static TBuilder RequireOperator<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.RequireAuthorization(OperatorPolicies.TenantScoped);
        builder.Add(DocumentAnswers);
        return builder;
    }

    /// <summary>
    /// Declares the answers the policy itself gives as response metadata (what the OpenAPI document shows), so an
    /// endpoint added to a protected group is described with them without saying so: 401 always; on a route naming a
    /// call or workflow execution 404 (another tenant's) and 503 (the tenant check's grain read failed), elsewhere 403.
    /// </summary>
    private static void DocumentAnswers(EndpointBuilder endpoint)
    {
        var pattern = (endpoint as RouteEndpointBuilder)?.RoutePattern;
        var namesEntity = pattern is not null
            && (pattern.GetParameter("executionId") is not null || (pattern.GetParameter("source") is not null && pattern.GetParameter("callId") is not null));
        int[] answers = namesEntity
            ? [StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable]
            : [StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden];
        foreach (var status in answers)
        {
            endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
        }
    }

    /// <summary>The operator key a request authenticated with, read from its claims.</summary>
    /// <returns>The key's label and organization, or null when the request carries no operator key (an open operator API).</returns>
    public static OperatorIdentity? Operator(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return OperatorIdentity.From(context.User);
    }
}

/// <summary>The operator key a request was admitted with, as its claims describe it.</summary>
/// <param name="Name">The key's label (never the key).</param>
/// <param name="OrganizationId">Its organization; null for a key that sees every tenant.</param>
public sealed record OperatorIdentity(string Name, string? OrganizationId)
{
    /// <summary>The operator key identity of <paramref name="user"/>, or null when no operator key authenticated it.</summary>
    public static OperatorIdentity? From(ClaimsPrincipal? user)
    {
        var identity = user?.Identities.FirstOrDefault(i =>
            i.IsAuthenticated && string.Equals(i.AuthenticationType, OperatorKeyDefaults.AuthenticationScheme, StringComparison.Ordinal));
        return identity?.Name is { } name ? new OperatorIdentity(name, identity.FindFirst(OperatorClaims.Organization)?.Value) : null;
    }
}

/// <summary>Names of the operator-key authentication scheme.</summary>
public static class OperatorKeyDefaults
{
    /// <summary>
    /// The authentication scheme that reads an operator key from <c>Authorization: Bearer</c> or
    /// <see cref="OperatorAccess.ApiKeyHeader"/>. It is not the default scheme: the operator policies name it, so
    /// webhook requests (whose <c>Authorization</c> header is a webhook credential) never reach it.
    /// </summary>
    public const string AuthenticationScheme = "OperatorKey";
}

/// <summary>The claims an operator key is issued with.</summary>
public static class OperatorClaims
{
    /// <summary>
    /// The organization (tenant) a tenant-bound key is limited to; absent for a key that sees every tenant. The key's
    /// label is the identity's name (<see cref="ClaimTypes.Name"/>).
    /// </summary>
    public const string Organization = "callevents:organization";
}

/// <summary>The authorization policies of the operator API.</summary>
public static class OperatorPolicies
{
    /// <summary>
    /// Any operator key, tenant-bound or not (no key at all when the operator API runs open). It does not limit
    /// tenant-bound keys to their tenant: use it only on endpoints that do that themselves.
    /// </summary>
    public const string Operator = "Operator";

    /// <summary>
    /// <see cref="Operator"/>, and a tenant-bound key reaches only its own tenant's call (<c>{source}/{callId}</c>) or
    /// workflow execution (<c>{executionId}</c>): another tenant's gets the same 404 as an unknown one, and a route
    /// naming neither answers 403. What <see cref="OperatorAccess.RequireOperator"/> applies.
    /// </summary>
    public const string TenantScoped = "Operator.TenantScoped";
}
