using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress.Security;

/// <summary>
/// The <see cref="OperatorKeyDefaults.AuthenticationScheme"/> scheme: an operator key from <c>Authorization: Bearer</c>
/// or <c>X-API-Key</c>, matched in constant time against every configured key, becomes a principal named after the
/// key's label with the key's organization as an <see cref="OperatorClaims.Organization"/> claim. A challenge answers
/// 401 problem+json with <c>WWW-Authenticate: Bearer</c>, the same body whatever was wrong.
/// </summary>
internal sealed class OperatorKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggers,
    UrlEncoder encoder,
    SecurityPolicy policy)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    private const string BearerPrefix = "Bearer ";
    private const string WrongKey = "wrong-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request.Headers);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // On an open or closed operator API no key is configured, so nothing matches; the policy decides what that means.
        if (policy.MatchOperatorKey(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail(WrongKey));
        }

        List<Claim> claims = [new(ClaimTypes.Name, key.Name)];
        if (key.OrganizationId is { } organization)
        {
            claims.Add(new(OperatorClaims.Organization, organization));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme.Name));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        SecurityMessages.OperatorRefused(Logger, result.Failure is null ? "missing-key" : WrongKey, Request.Path, Context.Connection.RemoteIpAddress);
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        await Answers.Unauthorized().ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        // The tenant rule answers its own refusals (OperatorAuthorizationResultHandler); this covers any other policy
        // that names this scheme.
        Answers.Problem(StatusCodes.Status403Forbidden, "Forbidden", "This operator key may not use this endpoint.").ExecuteAsync(Context);

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        // A header sent twice is ambiguous: it presents no key rather than either of them.
        if (headers.TryGetValue(HeaderNames.Authorization, out var authorization) && authorization.Count == 1
            && authorization[0] is { } value && value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return value[BearerPrefix.Length..].Trim();
        }

        return headers.TryGetValue(OperatorAccess.ApiKeyHeader, out var apiKey) && apiKey.Count == 1 ? apiKey[0] : null;
    }
}
