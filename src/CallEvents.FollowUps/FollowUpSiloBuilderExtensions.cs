using System.Reflection;
using CallEvents.FollowUps.Callbacks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
    /// <param name="silo">The silo builder.</param>
    /// <param name="consumes">
    /// Optional: decides once, at startup, whether the grain consumes a namespace it subscribes to (e.g. only when
    /// it is configured to act on it). A grain that does not consume a namespace ignores its events: no decision,
    /// no write, and producers do not wait for it.
    /// </param>
    public static ISiloBuilder AddFollowUpGrain<TGrain>(this ISiloBuilder silo, Func<IServiceProvider, string, bool>? consumes = null)
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

        silo.Services.AddSingleton(new FollowUpRegistration(typeof(TGrain).FullName!, namespaces, consumes));
        AddFollowUpServices(silo.Services);
        return silo;
    }

    /// <summary>
    /// Adds the built-in HTTP callback follow-ups for calls and workflow executions, configured by
    /// <c>FollowUps:Callbacks</c> (invalid rules stop the silo at startup with the key at fault).
    /// </summary>
    /// <remarks>
    /// Callback targets follow a <see cref="CallbackTargetPolicy"/>: register one first to say whether this is a
    /// production host; without one, every environment but Development is (targets restricted to public https URLs
    /// unless a rule's flags allow more).
    /// </remarks>
    public static ISiloBuilder AddCallbackFollowUps(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddOptions<CallbackOptions>()
            .BindConfiguration(CallbackOptions.Section)
            .ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<CallbackOptions>, CallbackOptionsValidator>();
        silo.Services.TryAddSingleton(sp => CallbackTargetPolicy.For(sp.GetRequiredService<IHostEnvironment>(), durableStorage: true));
        silo.Services.TryAddSingleton<ICallbackAddressResolver, DnsCallbackAddressResolver>();
        silo.Services.TryAddSingleton<CallbackTargetGuard>();
        silo.Services.AddHttpClient(CallbackDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => CallbackTargetGuard.CreateHandler(sp, guarded: true));
        silo.Services.AddHttpClient(CallbackDispatcher.PrivateNetworkHttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => CallbackTargetGuard.CreateHandler(sp, guarded: false));
        silo.Services.AddHostedService<CallbackTargetCheck>();
        silo.Services.AddCallEventClock();
        silo.Services.TryAddSingleton<CallbackDispatcher>();
        // Without a rule for a namespace the callback grains do not consume it, so an unconfigured deployment pays
        // nothing for them.
        silo.AddFollowUpGrain<CallCallbackFollowUpGrain>(HasRuleFor);
        silo.AddFollowUpGrain<WorkflowCallbackFollowUpGrain>(HasRuleFor);
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
            .ValidateOnStart();
        services.AddCallEventClock();
        services.AddSingleton<FollowUpServices>();
        services.AddSingleton<Orleans.Streams.IStreamNamespacePredicateProvider, ConsumedNamespacePredicateProvider>();

        // The registry is built from every registration once the container is built.
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            var registry = new FollowUpRegistry();
            foreach (var registration in sp.GetServices<FollowUpRegistration>())
            {
                registry.Register(registration.GrainClass);
                foreach (var ns in registration.Namespaces.Where(ns => registration.Consumes?.Invoke(sp, ns) ?? true))
                {
                    registry.Add(ns, registration.GrainClass);
                }
            }

            return registry;
        }));
    }

    private static bool HasRuleFor(IServiceProvider services, string streamNamespace) =>
        services.GetRequiredService<IOptions<CallbackOptions>>().Value.Rules
            .Any(r => Enum.TryParse<CallbackTrigger>(r.On, ignoreCase: true, out var trigger) && CallbackDispatcher.NamespaceOf(trigger) == streamNamespace);

    private sealed record FollowUpRegistration(string GrainClass, IReadOnlyList<string> Namespaces, Func<IServiceProvider, string, bool>? Consumes);

    private sealed class CallbackOptionsValidator(CallbackTargetPolicy policy) : IValidateOptions<CallbackOptions>
    {
        public ValidateOptionsResult Validate(string? name, CallbackOptions options)
        {
            var problems = options.Problems(policy).ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
