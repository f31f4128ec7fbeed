using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CallEvents.Ingress.Security;

/// <summary>The <see cref="OperatorPolicies.Operator"/> rule: an operator key, unless the operator API runs open.</summary>
internal sealed class OperatorKeyRequirement : IAuthorizationRequirement;

/// <summary>The tenant rule of <see cref="OperatorPolicies.TenantScoped"/>, checked against the entity the route names.</summary>
internal sealed class TenantScopeRequirement : IAuthorizationRequirement;

/// <summary>Decides <see cref="OperatorKeyRequirement"/> from the surface's mode and the request's principal.</summary>
internal sealed class OperatorKeyRequirementHandler(SecurityPolicy policy) : AuthorizationHandler<OperatorKeyRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, OperatorKeyRequirement requirement)
    {
        // Open means no keys exist (a development host, or Security:AllowAnonymous): nobody could present one. Closed
        // has no keys either, so nobody is authenticated and everyone is challenged.
        if (policy.OperatorAccess == SurfaceAccess.Open || OperatorIdentity.From(context.User) is not null)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// Decides <see cref="TenantScopeRequirement"/>: a key without an organization passes; a tenant-bound key passes only
/// for a call or workflow execution whose snapshot names its organization (read through the grain, with the
/// ingress deadline). The refusal says which answer it needs (<see cref="TenantRefusal"/>).
/// </summary>
internal sealed class TenantScopeHandler(GrainGateway gateway, ILogger<TenantScopeHandler> logger) : AuthorizationHandler<TenantScopeRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, TenantScopeRequirement requirement)
    {
        var identity = OperatorIdentity.From(context.User);
        if (identity?.OrganizationId is not { } tenant)
        {
            // Unbound keys see every tenant; an unauthenticated request is the other requirement's business.
            context.Succeed(requirement);
            return;
        }

        if (context.Resource is not HttpContext http)
        {
            // Without the request there is no entity to compare, and a bound key must not see more than its tenant.
            context.Fail(new TenantRefusal(this, TenantRefusalKind.Forbidden, "the request is not available to the tenant check"));
            return;
        }

        var refusal = await CheckAsync(http, tenant);
        if (refusal is null)
        {
            context.Succeed(requirement);
            return;
        }

        SecurityMessages.OperatorTenantRefused(logger, identity.Name, tenant, http.Request.Path, refusal.Message, refusal.Status);
        context.Fail(refusal);
    }

    private async Task<TenantRefusal?> CheckAsync(HttpContext http, string tenant)
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
            return Compare(answer.Failure, answer.Value?.OrganizationId, tenant, key);
        }

        if (http.GetRouteValue("executionId") is string executionId)
        {
            var key = GrainKeys.Workflow(EventSources.SubVerse, executionId);
            var answer = await gateway.QueryAsync(g => g.GetGrain<IWorkflowExecutionGrain>(key).GetSnapshotAsync(), $"workflow execution {key}", http.RequestAborted);
            return Compare(answer.Failure, answer.Value?.OrganizationId, tenant, key);
        }

        return new TenantRefusal(this, TenantRefusalKind.Forbidden, "a tenant-bound key on a route that names no call or workflow execution");
    }

    private TenantRefusal? Compare(string? failure, string? owner, string tenant, string key)
    {
        if (failure is not null)
        {
            return new TenantRefusal(this, TenantRefusalKind.Unavailable, failure);
        }

        // Unknown and another tenant's entity get the same answer, so a key cannot probe for other tenants' calls.
        return string.Equals(owner, tenant, StringComparison.Ordinal)
            ? null
            : new TenantRefusal(this, TenantRefusalKind.NotVisible, $"{key} is not visible to this key") { Key = key };
    }
}

/// <summary>What a refusal by the tenant rule answers.</summary>
internal enum TenantRefusalKind
{
    /// <summary>404, word for word what an unknown entity gets.</summary>
    NotVisible,

    /// <summary>403: a tenant-bound key on a route that names no call or workflow execution.</summary>
    Forbidden,

    /// <summary>503 with <c>Retry-After</c>: the grain did not answer, so ownership is unknown.</summary>
    Unavailable,
}

/// <summary>Why the tenant rule refused, carried to <see cref="OperatorAuthorizationResultHandler"/>.</summary>
internal sealed class TenantRefusal(IAuthorizationHandler handler, TenantRefusalKind kind, string message) : AuthorizationFailureReason(handler, message)
{
    public TenantRefusalKind Kind { get; } = kind;

    /// <summary>The entity's grain key, for <see cref="TenantRefusalKind.NotVisible"/>.</summary>
    public string? Key { get; init; }

    public int Status => Kind switch
    {
        TenantRefusalKind.NotVisible => StatusCodes.Status404NotFound,
        TenantRefusalKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status403Forbidden,
    };
}

/// <summary>
/// Answers refusals of the tenant rule as the HTTP contract says (404 as for an unknown entity, 403, or 503 with
/// <c>Retry-After</c>) instead of the bare 403 of a forbidden policy; every other result goes to the default handler
/// (a challenge then gets the scheme's 401).
/// </summary>
internal sealed class OperatorAuthorizationResultHandler(GrainGateway gateway) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<TenantRefusal>().FirstOrDefault() is { } refusal)
        {
            var answer = refusal.Kind switch
            {
                TenantRefusalKind.NotVisible => Answers.NotFound($"Nothing visible to this key for {refusal.Key}."),
                TenantRefusalKind.Unavailable => Answers.Unavailable(context, gateway.RetryAfterSeconds, refusal.Message),
                _ => Answers.Problem(StatusCodes.Status403Forbidden, "Forbidden", "This operator key is bound to an organization and cannot use this endpoint."),
            };
            return answer.ExecuteAsync(context);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
