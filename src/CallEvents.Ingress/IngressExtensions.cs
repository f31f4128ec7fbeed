using System.Globalization;
using System.Text.Json.Serialization;
using CallEvents.Ingress.Adapters;
using CallEvents.Ingress.OpenApi;
using CallEvents.Ingress.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CallEvents.Ingress;

/// <summary>Registration of the webhook ingress and the query API, for this host or a user's own.</summary>
public static class IngressExtensions
{
    /// <summary>
    /// Adds the provider adapters, the shared pipeline, options (section <c>Ingress</c>), problem details and
    /// the JSON settings of the HTTP surface (camelCase, enums as names). Needs an <see cref="IGrainFactory"/>.
    /// </summary>
    public static IServiceCollection AddWebhookIngress(this IServiceCollection services)
    {
        services.AddOptions<IngressOptions>()
            .BindConfiguration(IngressOptions.Section)
            .Validate(o => o.MaxBodyBytes is >= 1024 and <= 64 * 1024 * 1024, "Ingress:MaxBodyBytes must be between 1 KiB and 64 MiB.")
            .Validate(o => o.GrainCallTimeout > TimeSpan.Zero && o.GrainCallTimeout < TimeSpan.FromSeconds(5), "Ingress:GrainCallTimeout must be above 0 and below 5 s (SubVerse's answer limit).")
            .Validate(o => o.RetryAfterSeconds is >= 1 and <= 3600, "Ingress:RetryAfterSeconds must be between 1 and 3600.")
            .ValidateOnStart();
        services.AddCallEventClock();
        services.AddSingleton<IProviderAdapter, VerbexAdapter>();
        services.AddSingleton<IProviderAdapter, SubVerseAdapter>();
        services.TryAddSingleton<ServiceDrain>();
        services.AddSingleton<GrainGateway>();
        services.AddSingleton<WebhookPipeline>();
        services.AddWebhookSecurity();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = problem =>
        {
            // Every 503 tells the client when to retry, also one the exception handler produced.
            var response = problem.HttpContext.Response;
            if (response.StatusCode == StatusCodes.Status503ServiceUnavailable && !response.Headers.ContainsKey(HeaderNames.RetryAfter))
            {
                response.Headers[HeaderNames.RetryAfter] = problem.HttpContext.RequestServices.GetRequiredService<IOptions<IngressOptions>>().Value.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            }
        });
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return services;
    }

    /// <summary>Maps <c>POST /webhooks/verbex</c> and <c>POST /webhooks/subverse</c>.</summary>
    public static IEndpointRouteBuilder MapWebhookIngress(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var webhooks = app.MapGroup("/webhooks").WithTags("Webhooks");
        foreach (var source in EventSources.All)
        {
            webhooks.MapPost($"/{source}", (HttpContext context, WebhookPipeline pipeline) => pipeline.HandleAsync(source, context))
                .DisableAntiforgery()
                .DocumentWebhook(source);
        }

        return app;
    }
}
