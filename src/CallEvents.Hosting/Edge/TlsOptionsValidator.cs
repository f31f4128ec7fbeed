using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CallEvents.Hosting;

/// <summary>
/// Checks <see cref="TlsOptions"/> at startup by loading the certificate, and its agreement with <c>Urls</c>: a
/// certificate with no <c>https://</c> address to serve it on, or an <c>https://</c> address without a certificate
/// (outside Development, where Kestrel has its development certificate), is a mistake. Messages name the key and never
/// contain the password.
/// </summary>
internal sealed class TlsOptionsValidator(IConfiguration configuration, IHostEnvironment environment) : IValidateOptions<TlsOptions>
{
    private static readonly TimeSpan MinReloadInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxReloadInterval = TimeSpan.FromDays(1);

    public ValidateOptionsResult Validate(string? name, TlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var urls = (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var httpsUrls = urls.Where(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase)).ToList();
        var httpsPorts = configuration["https_ports"];

        if (!options.IsConfigured)
        {
            if (!string.IsNullOrWhiteSpace(options.KeyPath) || !string.IsNullOrEmpty(options.CertificatePassword))
            {
                failures.Add("Tls:KeyPath / Tls:CertificatePassword are set but Tls:CertificatePath is not.");
            }

            if ((httpsUrls.Count > 0 || !string.IsNullOrWhiteSpace(httpsPorts)) && !environment.IsDevelopment())
            {
                failures.Add($"Urls names an https:// address ({string.Join(", ", httpsUrls.DefaultIfEmpty($"https_ports={httpsPorts}"))}) but no certificate is configured: "
                    + "set Tls:CertificatePath (and Tls:KeyPath for a PEM key in a file of its own).");
            }

            return Result(failures);
        }

        if (options.ReloadInterval < MinReloadInterval || options.ReloadInterval > MaxReloadInterval)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"Tls:ReloadInterval must be between {MinReloadInterval} and {MaxReloadInterval}."));
        }

        if (httpsUrls.Count == 0 && string.IsNullOrWhiteSpace(httpsPorts))
        {
            failures.Add($"Tls:CertificatePath is set but Urls ({(urls.Length == 0 ? "unset" : string.Join(";", urls))}) names no https:// address to serve it on: "
                + "add one, e.g. Urls=https://0.0.0.0:8443 (or --urls).");
        }

        try
        {
            ServerCertificate.Load(ServerCertificateFiles.Read(options), options.CertificatePassword);
        }
        catch (TlsConfigurationException ex)
        {
            failures.Add(ex.Message);
        }

        return Result(failures);
    }

    private static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
}
