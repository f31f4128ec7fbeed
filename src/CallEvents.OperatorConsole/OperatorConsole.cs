using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace CallEvents.OperatorConsole;

/// <summary>
/// Serves the operator console: <c>GET /console</c> (the page) and <c>GET /console/{file}</c> (its scripts and
/// styles), from resources embedded in this assembly. Anonymous: the page holds no data; it asks for an operator key
/// and sends it on every call to the operator API, which checks it.
/// </summary>
public static class OperatorConsole
{
    /// <summary>Where the console is served.</summary>
    public const string Path = "/console";

    /// <summary>
    /// The policy of every console response: scripts, styles and images only from this origin, API calls only to it,
    /// no inline script or style, no framing. The page builds its DOM from text nodes, so this is a second line.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = LoadAssets();

    /// <summary>Maps <c>GET /console</c> and <c>GET /console/{file}</c>, open to anyone.</summary>
    /// <param name="app">The endpoint builder.</param>
    /// <returns>The group, for more conventions.</returns>
    public static RouteGroupBuilder MapOperatorConsole(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup(Path).WithTags("Console").ExcludeFromDescription().AllowAnonymous();
        group.MapGet("/", (HttpContext context) =>
        {
            // Routing matches "/console/" here too, but the page's relative links resolve against "/console": send the
            // browser to that address.
            if (context.Request.Path.Value?.EndsWith('/') == true)
            {
                return Results.Redirect($"{context.Request.PathBase}{Path}", permanent: true);
            }

            return Serve(context, "index.html");
        });
        group.MapGet("/{file}", (HttpContext context, string file) => Serve(context, file));
        return group;
    }

    private static IResult Serve(HttpContext context, string name)
    {
        if (!Assets.TryGetValue(name, out var asset))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"The console has no file '{name}'.");
        }

        var headers = context.Response.Headers;
        headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        headers[HeaderNames.XFrameOptions] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";

        // Revalidated on every load, so an upgraded host never runs a page against scripts of another version.
        headers[HeaderNames.CacheControl] = "no-cache";
        headers[HeaderNames.ETag] = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> LoadAssets()
    {
        const string prefix = "console/";
        var assembly = typeof(OperatorConsole).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = resource[prefix.Length..];
            var content = Read(assembly, resource);
            var etag = $"\"{Convert.ToBase64String(SHA256.HashData(content), 0, 12)}\"";
            assets[name] = new Asset(content, ContentTypeOf(name), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string ContentTypeOf(string name) => System.IO.Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
