using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CallEvents.Ingress;

/// <summary>
/// Newline-delimited JSON for exports: one stored delivery per line, with its raw payload embedded as JSON. A payload
/// without line breaks is written byte for byte as received; one with line breaks is written compacted (same JSON,
/// whitespace removed) and says so with <c>"payloadReformatted": true</c>, since a line may not contain a line break.
/// </summary>
internal static class Ndjson
{
    public const string ContentType = "application/x-ndjson";

    /// <summary>One line: the delivery's metadata and payload.</summary>
    public static void WriteLine(Utf8JsonWriter writer, string key, string kind, int sequence, string eventName, NormalizedEventType type,
        DateTimeOffset? providerTime, DateTimeOffset receivedAt, bool late, string dedupKey, ReadOnlyMemory<byte>? payload)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("key", key);
        writer.WriteString("kind", kind);
        writer.WriteNumber("sequence", sequence);
        writer.WriteString("eventName", eventName);
        writer.WriteString("type", type.ToString());
        if (providerTime is { } time)
        {
            writer.WriteString("providerTime", time);
        }
        else
        {
            writer.WriteNull("providerTime");
        }

        writer.WriteString("receivedAt", receivedAt);
        writer.WriteBoolean("late", late);
        writer.WriteString("dedupKey", dedupKey);
        writer.WriteBoolean("payloadKept", payload is not null);
        writer.WritePropertyName("payload");
        if (payload is not { } raw)
        {
            writer.WriteNullValue();
        }
        else if (raw.Span.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            writer.WriteRawValue(raw.Span, skipInputValidation: true);
        }
        else
        {
            using var document = JsonDocument.Parse(raw);
            document.RootElement.WriteTo(writer);
            writer.WriteBoolean("payloadReformatted", true);
        }

        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Starts an NDJSON answer.</summary>
    public static Utf8JsonWriter Start(HttpResponse response, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.ContentType = ContentType;
        if (fileName is not null)
        {
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        }

        return new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>Ends a line and sends what is buffered, so a long export streams instead of piling up in memory.</summary>
    public static async Task EndLineAsync(Utf8JsonWriter writer, HttpResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(response);
        writer.Flush();
        response.BodyWriter.Write("\n"u8);
        writer.Reset();
        await response.BodyWriter.FlushAsync(cancellationToken);
    }
}
