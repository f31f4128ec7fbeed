using System.Globalization;
using CallEvents.Ingress;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting.Operations;

/// <summary>Graceful shutdown (configuration section <c>Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Shutdown";

    /// <summary>
    /// How long a stop may take in all (<c>HostOptions.ShutdownTimeout</c>): draining, writes in flight, leaving the
    /// cluster. Default 30 s; between 1 s and 10 min.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the host keeps answering (not ready, new webhooks 503) after the stop signal before it closes its
    /// listeners, so load balancers and probes see it leave. Default 5 s; at least 0 and below <see cref="Timeout"/>.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Binding problems (a value that is not a time span), reported by the validator.</summary>
    internal List<string> Problems { get; } = [];

    /// <summary>Reads the section by hand, so an unreadable value becomes a validation failure naming its key.</summary>
    internal static void Bind(ShutdownOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        options.Timeout = Read(section, nameof(Timeout), options.Timeout, options.Problems);
        options.DrainDelay = Read(section, nameof(DrainDelay), options.DrainDelay, options.Problems);
    }

    private static TimeSpan Read(IConfigurationSection section, string key, TimeSpan fallback, List<string> problems)
    {
        var text = section[key];
        if (text is null)
        {
            return fallback;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        problems.Add($"{Section}:{key} must be a time span such as 00:00:30.");
        return fallback;
    }
}

/// <summary>Checks <see cref="ShutdownOptions"/>; each failure names its key.</summary>
internal sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options)
    {
        List<string> failures = [.. options.Problems];
        if (options.Timeout < TimeSpan.FromSeconds(1) || options.Timeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{ShutdownOptions.Section}:Timeout must be between 00:00:01 and 00:10:00.");
        }

        if (options.DrainDelay < TimeSpan.Zero || options.DrainDelay >= options.Timeout)
        {
            failures.Add($"{ShutdownOptions.Section}:DrainDelay must be at least 0 and below {ShutdownOptions.Section}:Timeout.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// The first step of a graceful stop: when the host is asked to stop (SIGTERM, Ctrl+C), <see cref="ServiceDrain"/> is set
/// at once (readiness fails, new webhooks get 503 + <c>Retry-After</c>), and the stop waits
/// <see cref="ShutdownOptions.DrainDelay"/> before the listeners close and the silo leaves the cluster. Requests in
/// flight finish; the journal flushes what it holds before the silo stops.
/// </summary>
internal sealed partial class DrainOnStop(ServiceDrain drain, IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> options, ILogger<DrainOnStop> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStopping.Register(() =>
        {
            drain.Begin();
            Draining(logger, options.Value.DrainDelay, options.Value.Timeout);
        });
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        drain.Begin();
        try
        {
            await Task.Delay(options.Value.DrainDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out: go on stopping.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "Shutting down: not ready, new webhooks answered 503; listeners close in {DrainDelay}, the whole stop may take up to {Timeout}")]
    private static partial void Draining(ILogger logger, TimeSpan drainDelay, TimeSpan timeout);
}
