using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress;

/// <summary>The problem+json answers of design §4, in one place so every endpoint words them alike.</summary>
internal static class Answers
{
    public static IResult BadField(string field, string detail) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid webhook payload",
            extensions: new Dictionary<string, object?> { ["field"] = field });

    public static IResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>401 for every authentication failure alike: which check failed would help a guesser.</summary>
    public static IResult Unauthorized() =>
        Problem(StatusCodes.Status401Unauthorized, "Unauthorized", "The request does not carry valid credentials.");

    public static IResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult Unavailable(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers[HeaderNames.RetryAfter] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable", detail);
    }
}
