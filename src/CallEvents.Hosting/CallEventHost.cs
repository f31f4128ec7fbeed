using CallEvents.Hosting.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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

    /// <summary>
    /// Where HTTP listens when nothing says otherwise: loopback only. Any of <c>Urls</c> (<c>--urls</c>, <c>URLS</c>,
    /// <c>ASPNETCORE_URLS</c>, a settings file), <c>HTTP_PORTS</c> / <c>HTTPS_PORTS</c> (<c>ASPNETCORE_HTTP_PORTS</c>, set
    /// by the official container images) replaces it.
    /// </summary>
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Builds the host from command-line arguments and the usual configuration sources.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Section:Key=value</c>).</param>
    /// <param name="configure">Runs first, on the web application builder (add services, configuration).</param>
    /// <param name="configureSilo">Runs last on the silo builder: add your own grains' services or providers.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"])
            && string.IsNullOrWhiteSpace(builder.Configuration["http_ports"])
            && string.IsNullOrWhiteSpace(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, DefaultUrls);
        }

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        var mode = HostMode.StorageFor(connectionString);

        builder.Services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>());
        builder.UseOrleans(silo =>
        {
            silo.AddCallEventSilo(connectionString);
            silo.ConfigureCallEventClustering(SiloOptionsAsBound(builder.Configuration), mode);
            silo.UseCallEventMembershipTuning();
            if (builder.Configuration.GetValue("Dashboard:Enabled", true))
            {
                silo.AddCallEventDashboard();
            }

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

    /// <summary>
    /// The silo options as configured, to compose the silo with; when a value does not even convert (a port that is not
    /// a number), the defaults: startup validation binds the section again and reports the key.
    /// </summary>
    private static SiloOptions SiloOptionsAsBound(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        }
        catch (InvalidOperationException)
        {
            return new SiloOptions();
        }
    }

    /// <summary>
    /// The one line that reports an options validation failure (or a configuration value that does not convert to its
    /// option's type), or null for any other exception.
    /// </summary>
    private static string? ConfigurationProblem(Exception exception)
    {
        IEnumerable<IEnumerable<string>> failures = exception switch
        {
            OptionsValidationException single => [single.Failures],
            _ when ConversionFailure(exception) is { } conversion => [[conversion]],
            AggregateException many when many.InnerExceptions.All(e => e is OptionsValidationException) =>
                many.InnerExceptions.Cast<OptionsValidationException>().Select(e => e.Failures),
            _ => [],
        };
        var messages = failures
            .SelectMany(f => f)
            .Select(m => string.Join(' ', m.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            .Where(m => m.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return messages.Count == 0 ? null : $"Configuration error, the host did not start: {string.Join("; ", messages)}";
    }

    /// <summary>
    /// The configuration binder's "Failed to convert configuration value '…' at 'Section:Key' to type '…'", worded like
    /// the validators' messages (key first); null for anything else.
    /// </summary>
    private static string? ConversionFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is InvalidOperationException && e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
            {
                var match = System.Text.RegularExpressions.Regex.Match(e.Message, "at '(?<key>[^']+)' to type '(?<type>[^']+)'");
                return match.Success
                    ? $"{match.Groups["key"].Value} is not a valid {Friendly(match.Groups["type"].Value)}."
                    : e.Message;
            }
        }

        return null;

        static string Friendly(string type) => type switch
        {
            "System.Int32" or "System.Int64" => "whole number",
            "System.Boolean" or "System.Nullable`1[System.Boolean]" => "boolean (true or false)",
            "System.TimeSpan" => "time span (hh:mm:ss)",
            _ => type,
        };
    }
}
