using System.Net;
using Microsoft.Extensions.Logging;

namespace CallEvents.Ingress.Security;

/// <summary>Security log messages. None of them carries a secret: credentials appear by their label only.</summary>
internal static partial class SecurityMessages
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Refused a {Source} delivery from {Remote}: {Reason}; answered 401")]
    public static partial void WebhookRefused(ILogger logger, string source, string reason, IPAddress? remote);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Debug, Message = "Refused a {Source} delivery: credential {Credential} is bound to organization {Bound} but the event names {Claimed}; answered 401")]
    public static partial void TenantMismatch(ILogger logger, string source, string credential, string claimed, string bound);


    [LoggerMessage(EventId = 2104, Level = LogLevel.Debug, Message = "{Source}/{EntityId} already has {Limit} deliveries in flight; answered 503")]
    public static partial void EntityBusy(ILogger logger, string source, string entityId, int limit);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Debug, Message = "Webhook source {Source} is over its rate limit (retry after {Seconds} s)")]
    public static partial void RateLimited(ILogger logger, string source, int seconds);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Debug, Message = "Refused an operator request for {Path} from {Remote}: {Reason}; answered 401")]
    public static partial void OperatorRefused(ILogger logger, string reason, Microsoft.AspNetCore.Http.PathString path, IPAddress? remote);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Debug, Message = "Refused operator key {Key} (bound to organization {Organization}) for {Path}: {Reason}; answered {Status}")]
    public static partial void OperatorTenantRefused(ILogger logger, string key, string organization, Microsoft.AspNetCore.Http.PathString path, string reason, int status);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "SECURITY: webhook source {Source} runs OPEN: deliveries are accepted without any credential ({Why}). Configure Security:Sources:{Source}:Credentials or SigningSecrets.")]
    public static partial void SourceOpen(ILogger logger, string source, string why);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "SECURITY: the operator API (/calls, /workflows) runs OPEN: anyone who can reach this port can read every call and cancel follow-ups ({Why}). Configure Security:OperatorKeys.")]
    public static partial void OperatorOpen(ILogger logger, string why);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "Webhook source {Source} has no credentials while others are configured: every delivery to it is refused with 401")]
    public static partial void SourceClosed(ILogger logger, string source);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Warning, Message = "The operator API has no operator keys while webhook credentials are configured: every query is refused with 401")]
    public static partial void OperatorClosed(ILogger logger);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Information, Message = "Webhook source {Source}: {Headers} header credential(s), {Signing} signing secret(s), {Bound} bound to an organization")]
    public static partial void SourceEnforced(ILogger logger, string source, int headers, int signing, int bound);

    [LoggerMessage(EventId = 2115, Level = LogLevel.Information, Message = "Operator API: {Keys} operator key(s), {Bound} bound to an organization")]
    public static partial void OperatorEnforced(ILogger logger, int keys, int bound);
}
