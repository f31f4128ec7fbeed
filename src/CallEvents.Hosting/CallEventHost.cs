using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// Composes the service: an Orleans silo and the HTTP surface in one process. With
/// <c>ConnectionStrings:Orleans</c> set, clustering, grain state and reminders live in PostgreSQL; without it
/// the host runs the embedded default (one local silo, in-memory state, not durable).
/// </summary>
public static class CallEventHost
{
    /// <summary>The connection string name that selects PostgreSQL mode.</summary>
    public const string ConnectionStringName = "Orleans";

    /// <summary>
    /// The exit code of <see cref="RunAsync(string[], Action{WebApplicationBuilder}?, Action{ISiloBuilder}?)"/> when
    /// the configuration is invalid: 78, <c>EX_CONFIG</c> of sysexits.h (a supervisor can be told not to restart on it).
    /// </summary>
    public const int ConfigurationErrorExitCode = 78;

    /// <summary>Builds the host from command-line arguments and the usual configuration sources.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Section:Key=value</c>).</param>
    /// <param name="configure">Runs first, on the web application builder (add services, configuration).</param>
    /// <param name="configureSilo">Runs last on the silo builder: add your own grains' services or providers.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        var mode = HostMode.StorageFor(connectionString);

        builder.UseOrleans(silo =>
        {
            var options = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
            silo.AddCallEventSilo(connectionString);
            silo.UseCallEventClustering(options, mode);
            silo.UseCallEventMembershipTuning();
            configureSilo?.Invoke(silo);
        });
        builder.AddCallEventWebSurface(mode);

        var app = builder.Build();
        app.UseCallEventWebSurface();
        return app;
    }

    /// <summary>
    /// Builds the host (<see cref="Build"/>) and runs it until it shuts down: the whole of a <c>Program.cs</c>
    /// (<c>return await CallEventHost.RunAsync(args);</c>). An invalid configuration is reported as one line on
    /// standard error naming the keys at fault, and the process exits with <see cref="ConfigurationErrorExitCode"/>.
    /// </summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Section:Key=value</c>).</param>
    /// <param name="configure">Runs first, on the web application builder (add services, configuration).</param>
    /// <param name="configureSilo">Runs last on the silo builder: add your own grains' services or providers.</param>
    /// <returns>The process exit code: 0 after a normal shutdown.</returns>
    public static async Task<int> RunAsync(string[] args, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        WebApplication app;
        try
        {
            app = Build(args, configure, configureSilo);
        }
        catch (Exception ex) when (ConfigurationProblem(ex) is { } problem)
        {
            await Console.Error.WriteLineAsync(problem);
            return ConfigurationErrorExitCode;
        }

        await using (app)
        {
            return await RunAsync(app, Console.Error);
        }
    }

    /// <summary>
    /// Starts a built host and waits for it to shut down. When its options fail validation it does not start: one
    /// line naming the keys at fault goes to <paramref name="errors"/> and the result is
    /// <see cref="ConfigurationErrorExitCode"/>. The caller disposes <paramref name="app"/>.
    /// </summary>
    /// <param name="app">A host from <see cref="Build"/>, not started.</param>
    /// <param name="errors">Where the configuration error line goes (standard error for a process).</param>
    /// <param name="cancellationToken">Stops the host (as a shutdown signal would).</param>
    /// <returns>0 after a normal shutdown, <see cref="ConfigurationErrorExitCode"/> for invalid configuration.</returns>
    public static async Task<int> RunAsync(WebApplication app, TextWriter errors, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(errors);
        try
        {
            // Options are validated here, before starting: a validation failure during start-up is logged by the
            // host with its stack trace, then rethrown and printed again by the runtime as an unhandled exception.
            app.Services.GetService<IStartupValidator>()?.Validate();
            await app.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ConfigurationProblem(ex) is { } problem)
        {
            await errors.WriteLineAsync(problem);
            return ConfigurationErrorExitCode;
        }

        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    /// <summary>The one line that reports an options validation failure, or null for any other exception.</summary>
    private static string? ConfigurationProblem(Exception exception)
    {
        IEnumerable<OptionsValidationException> failures = exception switch
        {
            OptionsValidationException single => [single],
            AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
                many.InnerExceptions.Cast<OptionsValidationException>(),
            _ => [],
        };
        var messages = failures
            .SelectMany(f => f.Failures)
            .Select(m => string.Join(' ', m.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            .Where(m => m.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return messages.Count == 0 ? null : $"Configuration error, the host did not start: {string.Join("; ", messages)}";
    }
}
