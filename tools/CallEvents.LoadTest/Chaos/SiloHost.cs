using System.Text.Json;
using CallEvents.FollowUps;
using CallEvents.Hosting;
using CallEvents.LoadTest.Verification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CallEvents.LoadTest.Chaos;

/// <summary>
/// <c>CallEvents.LoadTest silo [host arguments]</c>: one silo process of the chaos cluster. It is the service's own
/// host (<see cref="CallEventHost.RunAsync(string[], Action{WebApplicationBuilder}?, Action{ISiloBuilder}?)"/>, as
/// <c>src/OrleansHost</c> runs it) plus two things only a test needs: the no-action <see cref="TallyFollowUpGrain"/>,
/// so the verdict can count one follow-up decision per emission, and <c>GET /_chaos/activations</c>, the call and
/// workflow grains active on this silo (the failure-window measurement splits deliveries by it).
/// </summary>
public static class SiloHost
{
    public const string Command = "silo";
    public const string ActivationsPath = "/_chaos/activations";

    public static Task<int> RunAsync(string[] args) => CallEventHost.RunAsync(
        args,
        configure: builder => builder.Services.AddSingleton<IStartupFilter, ActivationsEndpoint>(),
        configureSilo: silo => silo.AddFollowUpGrain<TallyFollowUpGrain>());

    /// <summary>Answers <see cref="ActivationsPath"/> ahead of the service's pipeline with a JSON array of grain keys.</summary>
    private sealed class ActivationsEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Path != ActivationsPath)
                {
                    await nextMiddleware(context);
                    return;
                }

                var services = context.RequestServices;
                var local = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
                var management = services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
                var statistics = await management.GetDetailedGrainStatistics(hostsIds: [local]);
                var keys = statistics
                    .Where(s => s.GrainId.Key.ToString() is { } key && key.Contains('/', StringComparison.Ordinal)
                        && (s.GrainType.Contains("CallGrain", StringComparison.Ordinal) || s.GrainType.Contains("WorkflowExecutionGrain", StringComparison.Ordinal)))
                    .Select(s => s.GrainId.Key.ToString())
                    .Distinct(StringComparer.Ordinal)
                    .ToArray();
                context.Response.ContentType = "application/json";
                await JsonSerializer.SerializeAsync(context.Response.Body, keys, cancellationToken: context.RequestAborted);
            });
            next(app);
        };
    }
}
