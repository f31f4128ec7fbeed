using System.Reflection;
using CallEvents.FollowUps.Callbacks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace CallEvents.FollowUps;

/// <summary>Registers follow-up grains on a silo.</summary>
public static class FollowUpSiloBuilderExtensions
{
    /// <summary>
    /// Registers a follow-up grain: its <c>[ImplicitStreamSubscription]</c> namespaces become ones whose
    /// producers wait for its confirmation (so nothing is lost if a silo dies), and the shared follow-up
    /// services (options section <c>FollowUps</c>) are added.
    /// </summary>
    public static ISiloBuilder AddFollowUpGrain<TGrain>(this ISiloBuilder silo)
        where TGrain : FollowUpGrain
    {
        ArgumentNullException.ThrowIfNull(silo);
        var namespaces = typeof(TGrain).GetCustomAttributes<ImplicitStreamSubscriptionAttribute>()
            .SelectMany(a => StreamNamespaces.All.Where(a.Predicate.IsMatch))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (namespaces.Count == 0)
        {
            throw new InvalidOperationException($"{typeof(TGrain).FullName} has no [ImplicitStreamSubscription] for any of: {string.Join(", ", StreamNamespaces.All)}.");
        }

        silo.Services.AddSingleton(new FollowUpRegistration(typeof(TGrain).FullName!, namespaces));
        AddFollowUpServices(silo.Services);
        return silo;
    }

    /// <summary>
    /// Adds the built-in HTTP callback follow-ups for calls and workflow executions, configured by
    /// <c>FollowUps:Callbacks</c> (invalid rules stop the silo at startup with the key at fault).
    /// </summary>
    public static ISiloBuilder AddCallbackFollowUps(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<CallbackOptions>()
            .BindConfiguration(CallbackOptions.Section)
            .ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        silo.Services.AddHttpClient(CallbackDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        silo.Services.TryAddSingleton<CallbackDispatcher>();
        silo.AddFollowUpGrain<CallCallbackFollowUpGrain>();
        silo.AddFollowUpGrain<WorkflowCallbackFollowUpGrain>();
        return silo;
    }

    private static void AddFollowUpServices(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(FollowUpServices)))
        {
            return;
        }

        services.AddOptions<FollowUpOptions>()
            .BindConfiguration(FollowUpOptions.Section)
            .Validate(o => o.MaxAttempts is >= 1 and <= 20, "FollowUps:MaxAttempts must be between 1 and 20.")
            .Validate(o => o.FirstRetryDelay >= TimeSpan.Zero && o.AttemptTimeout > TimeSpan.Zero, "FollowUps:FirstRetryDelay must not be negative and FollowUps:AttemptTimeout must be positive.")
            .Validate(o => o.TickPeriod >= TimeSpan.FromSeconds(1), "FollowUps:TickPeriod must be at least 1 second.")
            .ValidateOnStart();
        services.AddOptions<ReminderOptions>().Configure<IOptions<FollowUpOptions>>((reminders, followUps) =>
        {
            if (followUps.Value.TickPeriod < reminders.MinimumReminderPeriod)
            {
                reminders.MinimumReminderPeriod = followUps.Value.TickPeriod;
            }
        });
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<FollowUpServices>();

        // The registry is built from every registration once the container is built.
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var registry = new FollowUpRegistry();
            foreach (var registration in sp.GetServices<FollowUpRegistration>())
            {
                foreach (var ns in registration.Namespaces)
                {
                    registry.Add(ns, registration.GrainClass);
                }
            }

            return registry;
        }));
    }

    private sealed record FollowUpRegistration(string GrainClass, IReadOnlyList<string> Namespaces);

    private sealed class CallbackOptionsValidator : IValidateOptions<CallbackOptions>
    {
        public ValidateOptionsResult Validate(string? name, CallbackOptions options)
        {
            var problems = options.Problems().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
