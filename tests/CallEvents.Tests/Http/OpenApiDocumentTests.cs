using System.Net;
using System.Text.Json.Nodes;
using CallEvents.Ingress.Security;
using CallEvents.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.Tests.Http;

/// <summary>
/// <c>GET /openapi/v1.json</c> of a real host with credentials configured: anonymous, and it describes every endpoint
/// the application maps (read from its <see cref="EndpointDataSource"/>, so a new endpoint without docs fails here),
/// with its answers, problems and security.
/// </summary>
public sealed class OpenApiDocumentTests(OpenApiDocumentTests.SecuredHost fixture) : IClassFixture<OpenApiDocumentTests.SecuredHost>
{
    private const string ProblemJson = "application/problem+json";

    [Fact]
    public async Task The_document_is_served_without_credentials_while_every_surface_requires_them()
    {
        using var response = await fixture.Host.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Host.Http.GetAsync(new Uri("/calls/verbex/some-call", UriKind.Relative))).StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.StartsWith("3.", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(document["info"]!["title"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Every_mapped_route_appears_with_its_methods_a_summary_a_success_answer_and_problem_answers()
    {
        var document = await fixture.DocumentAsync();
        var paths = document["paths"]!.AsObject();
        var routes = MappedRoutes(fixture.Host.Services);
        Assert.Contains(routes, r => r.Path == "/webhooks/verbex");
        Assert.Contains(routes, r => r.Path == "/calls/{source}/{callId}");
        Assert.Contains(routes, r => r.Path == "/");

        foreach (var route in routes)
        {
            foreach (var method in route.Methods)
            {
                var where = $"{method} {route.Path}";
                var operation = paths[route.Path]?[method.ToLowerInvariant()]?.AsObject();
                Assert.True(operation is not null, $"{where} is mapped but missing from the OpenAPI document");
                Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()), $"{where} has no summary");
                var responses = operation["responses"]!.AsObject();
                Assert.True(
                    responses.Any(r => r.Key.StartsWith('2') && (r.Value!["content"]?["application/json"]?["schema"] ?? r.Value!["content"]?["application/x-ndjson"]?["schema"]) is not null),
                    $"{where} documents no 2xx answer with a JSON (or NDJSON line) schema");
                foreach (var (status, answer) in responses.Where(r => r.Key[0] is '4' or '5'))
                {
                    Assert.True(answer!["content"]?[ProblemJson]?["schema"] is not null, $"{where} answers {status} without a problem+json schema");
                    Assert.False(string.IsNullOrWhiteSpace(answer["description"]?.GetValue<string>()), $"{where} answers {status} without a description");
                    if (status is "503" or "429")
                    {
                        Assert.True(answer["headers"]?["Retry-After"] is not null, $"{where} answers {status} without Retry-After");
                    }
                }

                if (route.OperatorPolicy)
                {
                    Assert.True(responses["401"]?["headers"]?["WWW-Authenticate"] is not null, $"{where} does not document 401 with WWW-Authenticate");
                    if (route.TenantRule)
                    {
                        Assert.True(responses.ContainsKey(route.NamesEntity ? "404" : "403"), $"{where} does not document the tenant rule's answer");
                    }

                    Assert.Equal(["operatorApiKey", "operatorBearer"], Schemes(operation).Order(StringComparer.Ordinal));
                }
            }
        }

        // Nothing documented that the application does not map.
        var documented = paths.SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters").Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"));
        Assert.Equal(routes.SelectMany(r => r.Methods.Select(m => $"{m} {r.Path}")).Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("verbex")]
    [InlineData("subverse")]
    public async Task Webhooks_take_the_providers_payloads_and_document_every_answer_and_credential(string source)
    {
        var document = await fixture.DocumentAsync();
        var operation = document["paths"]![$"/webhooks/{source}"]!["post"]!.AsObject();
        var responses = operation["responses"]!.AsObject();
        foreach (var status in new[] { "200", "202" })
        {
            Assert.Equal("#/components/schemas/WebhookAnswer", responses[status]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        }

        foreach (var status in new[] { "400", "401", "413", "415", "422", "429", "503" })
        {
            Assert.True(responses[status]?["content"]?[ProblemJson] is not null, $"webhook {source} does not document {status} as a problem");
        }

        var body = operation["requestBody"]!;
        Assert.True(body["required"]!.GetValue<bool>());
        var examples = body["content"]!["application/json"]!["examples"]!.AsObject();
        var fixtures = Directory.GetFiles(Path.Combine(FixtureFiles.Directory, source), "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(fixtures, examples.Select(e => e.Key).Order(StringComparer.Ordinal));
        foreach (var (name, example) in examples)
        {
            Assert.True(JsonNode.DeepEquals(FixtureFiles.Json($"{source}/{name}.json"), example!["value"]), $"the {name} example differs from the fixture");
        }

        var requirements = operation["security"]!.AsArray().Select(r => string.Join('+', r!.AsObject().Select(s => s.Key).Order(StringComparer.Ordinal))).ToList();
        Assert.Contains("webhookCredential", requirements);
        Assert.Contains("webhookId+webhookSignature+webhookTimestamp", requirements);
    }

    [Fact]
    public async Task The_security_schemes_describe_operator_keys_header_credentials_and_Standard_Webhooks_signatures()
    {
        var document = await fixture.DocumentAsync();
        var schemes = document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal("http", schemes["operatorBearer"]!["type"]!.GetValue<string>());
        Assert.Equal("bearer", schemes["operatorBearer"]!["scheme"]!.GetValue<string>());
        AssertHeaderKey(schemes, "operatorApiKey", "X-API-Key");
        AssertHeaderKey(schemes, "webhookCredential", "Authorization");
        AssertHeaderKey(schemes, "webhookId", "webhook-id");
        AssertHeaderKey(schemes, "webhookTimestamp", "webhook-timestamp");
        AssertHeaderKey(schemes, "webhookSignature", "webhook-signature");

        // Every requirement names a declared scheme, and the open endpoint needs none.
        var used = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key != "parameters"))
            .SelectMany(o => o.Value!["security"]?.AsArray() ?? [])
            .SelectMany(r => r!.AsObject().Select(s => s.Key));
        Assert.All(used, id => Assert.True(schemes.ContainsKey(id), $"security requirement {id} names no declared scheme"));
        Assert.Empty(Schemes(document["paths"]!["/"]!["get"]!.AsObject()));
    }

    private static void AssertHeaderKey(JsonObject schemes, string id, string header)
    {
        Assert.Equal("apiKey", schemes[id]!["type"]!.GetValue<string>());
        Assert.Equal("header", schemes[id]!["in"]!.GetValue<string>());
        Assert.Equal(header, schemes[id]!["name"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(schemes[id]!["description"]?.GetValue<string>()));
    }

    private static IEnumerable<string> Schemes(JsonObject operation) =>
        (operation["security"]?.AsArray() ?? []).SelectMany(r => r!.AsObject().Select(s => s.Key)).Distinct(StringComparer.Ordinal);

    /// <summary>What the application maps, as the router sees it; endpoints excluded from descriptions (the document itself) apart.</summary>
    private static List<MappedRoute> MappedRoutes(IServiceProvider services) =>
    [
        .. services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Select(e => new MappedRoute(
                "/" + e.RoutePattern.RawText!.TrimStart('/'),
                [.. e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []],
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is OperatorPolicies.Operator or OperatorPolicies.TenantScoped),
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is OperatorPolicies.TenantScoped),
                e.RoutePattern.GetParameter("executionId") is not null || e.RoutePattern.GetParameter("callId") is not null)),
    ];

    /// <param name="TenantRule">Behind the per-entity tenant rule (the lists and the export narrow answers themselves).</param>
    private sealed record MappedRoute(string Path, string[] Methods, bool OperatorPolicy, bool TenantRule, bool NamesEntity);

    /// <summary>The real host with an operator key and webhook credentials of both kinds configured.</summary>
    public sealed class SecuredHost : IAsyncLifetime
    {
        private JsonObject? _document;

        public HostInstance Host { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Host = await HostInstance.StartAsync(null, $"openapi-{Guid.NewGuid():N}",
            [
                "--Security:OperatorKeys:0:Key=openapi-operator-key-3f9a1c",
                "--Security:Sources:verbex:Credentials:0:Header=X-API-Key",
                "--Security:Sources:verbex:Credentials:0:Secret=openapi-verbex-credential-77d1",
                "--Security:Sources:subverse:SigningSecrets:0:Secret=whsec_" + Convert.ToBase64String(new byte[32]),
            ]);

        public async Task<JsonObject> DocumentAsync()
        {
            if (_document is null)
            {
                using var response = await Host.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                _document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            }

            return _document;
        }

        public Task DisposeAsync() => Host.DisposeAsync().AsTask();
    }
}
