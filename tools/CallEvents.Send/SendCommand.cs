using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CallEvents.Samples;

namespace CallEvents.Send;

/// <summary>The command line (System.CommandLine) and what it does: build one delivery, send it, print the answer.</summary>
public sealed class SendCommand
{
    private readonly Argument<Uri> _url = new("url")
    {
        Description = "the host's base URL (e.g. http://127.0.0.1:5080; /webhooks/<source> is appended) or the full webhook URL",
        CustomParser = ParseUrl,
    };

    private readonly Argument<string> _source = new Argument<string>("source") { Description = "the provider" }
        .AcceptOnlyFromAmong(EventNames.SubVerse, EventNames.Verbex);

    private readonly Argument<string?> _event = new("event")
    {
        Description = $"the event to send a sample of; subverse: {string.Join(", ", EventNames.NamesOf(EventNames.SubVerse))}; verbex: {string.Join(", ", EventNames.NamesOf(EventNames.Verbex))}. Optional with --file",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<string?> _callId = new("--call-id")
    {
        Description = "the call id (workflow.* events: the execution id) of the sample [default: a new one]; send several events with one id to build up a call",
        HelpName = "ID",
    };

    private readonly Option<string?> _organizationId = new("--organization-id")
    {
        Description = $"the organizationId of a Verbex sample [default: {SampleEvents.DefaultOrganizationId}]",
        HelpName = "ID",
    };

    private readonly Option<FileInfo?> _file = new("--file")
    {
        Description = "send this file's exact bytes as the body instead of a sample (Verbex headers are taken from its eventName and traceId)",
        HelpName = "PATH",
    };

    private readonly Option<string?> _bearer = new("--bearer")
    {
        Description = "send 'Authorization: Bearer TOKEN' (a source's header credential)",
        HelpName = "TOKEN",
    };

    private readonly Option<KeyValuePair<string, string>[]> _headers = new("--header")
    {
        Description = "an extra request header, e.g. 'X-API-Key: …' (repeatable)",
        HelpName = "'Name: value'",
        CustomParser = ParseHeaders,
    };

    private readonly Option<string?> _signingSecret = new("--signing-secret")
    {
        Description = "sign the delivery the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature) with this secret",
        HelpName = "whsec_…",
    };

    private readonly Option<double> _timeout = new("--timeout")
    {
        Description = "seconds to wait for the answer",
        HelpName = "S",
        DefaultValueFactory = _ => 30,
    };

    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "print the request (headers and body) instead of sending it" };

    private SendCommand()
    {
    }

    /// <summary>Parses <paramref name="args"/>, sends, and writes the answer to <paramref name="output"/>.</summary>
    /// <returns>0 for a 2xx answer (or a dry run); 1 otherwise.</returns>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        new SendCommand().Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);

    private RootCommand Build()
    {
        var root = new RootCommand(
            "Sends one realistic provider webhook to the call-event processor and prints the answer. Exit code 0 on a 2xx answer, 1 otherwise.")
        {
            _url, _source, _event, _callId, _organizationId, _file, _bearer, _headers, _signingSecret, _timeout, _dryRun,
        };
        _timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is <= 0 or > 600)
            {
                result.AddError("--timeout must be above 0 and at most 600 seconds");
            }
        });
        root.Validators.Add(Validate);
        root.SetAction((result, cancellationToken) => SendAsync(result, cancellationToken));
        return root;
    }

    private void Validate(CommandResult result)
    {
        var source = result.GetValue(_source);
        var name = result.GetValue(_event);
        var file = result.GetValue(_file);
        if (source is null)
        {
            return;
        }

        if (name is null && file is null)
        {
            result.AddError($"name an event to send a sample of ({string.Join(", ", EventNames.NamesOf(source))}) or give --file");
        }
        else if (name is not null && file is null && !EventNames.TryParse(source, name, out _))
        {
            result.AddError($"{source} sends no event '{name}'; one of {string.Join(", ", EventNames.NamesOf(source))}");
        }

        if (file is not null && (result.GetValue(_callId) is not null || result.GetValue(_organizationId) is not null))
        {
            result.AddError("--call-id and --organization-id shape a sample; with --file the file's body is sent as it is");
        }

        if (file is not null && !file.Exists)
        {
            result.AddError($"--file {file.FullName} does not exist");
        }

        if (result.GetValue(_signingSecret) is { } secret && StandardWebhooks.DecodeSecret(secret) is null)
        {
            result.AddError("--signing-secret must be whsec_ followed by base64");
        }
    }

    private async Task<int> SendAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        var source = result.GetRequiredValue(_source);
        var url = WebhookUrl(result.GetRequiredValue(_url), source);
        var (body, headers, description) = await BuildAsync(result, source, cancellationToken);

        if (result.GetValue(_bearer) is { } bearer)
        {
            headers.Add(new("Authorization", $"Bearer {bearer}"));
        }

        headers.AddRange(result.GetValue(_headers) ?? []);
        if (result.GetValue(_signingSecret) is { } secret)
        {
            var id = $"msg_{Guid.NewGuid():N}";
            var now = DateTimeOffset.UtcNow;
            headers.Add(new(StandardWebhooks.IdHeader, id));
            headers.Add(new(StandardWebhooks.TimestampHeader, StandardWebhooks.TimestampOf(now)));
            headers.Add(new(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign(StandardWebhooks.DecodeSecret(secret)!, id, now, body)));
        }

        await output.WriteLineAsync($"POST {url} ({description})");
        if (result.GetValue(_dryRun))
        {
            foreach (var (name, value) in headers)
            {
                await output.WriteLineAsync($"{name}: {value}");
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync(Encoding.UTF8.GetString(body));
            return 0;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(result.GetValue(_timeout)) };
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                await error.WriteLineAsync($"error: the header '{name}' cannot be set on a request");
                return 1;
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: {url}: {ex.Message}");
            return 1;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"error: {url} did not answer within {result.GetValue(_timeout).ToString(CultureInfo.InvariantCulture)} s");
            return 1;
        }

        using (response)
        {
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}"));
            if (response.Headers.RetryAfter is { } retryAfter)
            {
                await output.WriteLineAsync($"Retry-After: {retryAfter}");
            }

            if (answer.Length > 0)
            {
                await output.WriteLineAsync(answer);
            }

            return response.IsSuccessStatusCode ? 0 : 1;
        }
    }

    private async Task<(byte[] Body, List<KeyValuePair<string, string>> Headers, string Description)> BuildAsync(ParseResult result, string source, CancellationToken cancellationToken)
    {
        var name = result.GetValue(_event);
        if (result.GetValue(_file) is { } file)
        {
            var body = await File.ReadAllBytesAsync(file.FullName, cancellationToken);
            var headers = new List<KeyValuePair<string, string>>();
            if (source == EventNames.Verbex)
            {
                // Verbex names the event and the delivery in headers too; the ingress checks they match the body.
                var (bodyEvent, traceId) = VerbexIds(body);
                if ((name ?? bodyEvent) is { } eventName)
                {
                    headers.Add(new("X-Webhook-Event", eventName));
                }

                if (traceId is not null)
                {
                    headers.Add(new("X-Webhook-Traceid", traceId));
                }
            }

            return (body, headers, $"{name ?? "the event in the file"} from {file.Name}, {body.Length} bytes");
        }

        EventNames.TryParse(source, name!, out var kind);
        var sample = SampleEvents.Create(kind, result.GetValue(_callId), DateTimeOffset.UtcNow, result.GetValue(_organizationId));
        return (sample.Body, [.. sample.Headers], $"{sample.EventName} of {sample.Key}");
    }

    private static (string? EventName, string? TraceId) VerbexIds(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object
                ? (Text(root, "eventName"), Text(root, "traceId"))
                : (null, null);
        }
        catch (JsonException)
        {
            // Not JSON: sent as it is, so the host's answer says what is wrong with it.
            return (null, null);
        }

        static string? Text(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static Uri WebhookUrl(Uri url, string source)
    {
        var path = url.AbsolutePath.TrimEnd('/');
        return path.EndsWith($"/webhooks/{source}", StringComparison.Ordinal)
            ? url
            : new UriBuilder(url) { Path = $"{path}/webhooks/{source}" }.Uri;
    }

    private static Uri? ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        result.AddError($"url must be an absolute http or https URL, not '{text}'");
        return null;
    }

    private static KeyValuePair<string, string>[] ParseHeaders(ArgumentResult result)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var token in result.Tokens)
        {
            var colon = token.Value.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add(new(token.Value[..colon].Trim(), token.Value[(colon + 1)..].Trim()));
            }
            else
            {
                result.AddError($"--header expects 'Name: value', not '{token.Value}'");
            }
        }

        return [.. headers];
    }
}
