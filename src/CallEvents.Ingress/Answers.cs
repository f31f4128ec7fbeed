using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress;

/// <summary>The problem+json answers of the HTTP contract, in one place so every endpoint words them alike.</summary>
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

    /// <summary>429 for requests that are not genuine deliveries (they failed authentication) beyond their budget.</summary>
    public static IResult TooManyRequests(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers[HeaderNames.RetryAfter] = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", "Too many requests without valid credentials; retry after the given delay.");
    }

    public static IResult Unavailable(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers[HeaderNames.RetryAfter] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable", detail);
    }
}
