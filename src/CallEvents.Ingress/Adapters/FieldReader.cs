using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace CallEvents.Ingress.Adapters;

/// <summary>
/// Typed reads of the fields an adapter needs. Each read names its JSON path; the first failed read is kept
/// as <see cref="Problem"/> and later reads return defaults, so an adapter reads straight through and checks once.
/// Fields nobody reads are never looked at: unknown fields cannot fail a delivery.
/// </summary>
internal sealed class FieldReader
{
    /// <summary>Longest id accepted for a call or execution, so grain keys and URLs stay sane.</summary>
    public const int MaxIdLength = 256;

    private const decimal MaxUnixSeconds = 253_402_300_799m; // 9999-12-31T23:59:59Z

    /// <summary>The first problem found, if any.</summary>
    public InputProblem? Problem { get; private set; }

    /// <summary>Records a problem found by the adapter itself (keeps the first).</summary>
    public void Fail(string field, string detail) => Problem ??= new InputProblem(field, detail);

    /// <summary>An optional string; absent and JSON null are null.</summary>
    public string? String(JsonElement parent, string name, string path)
    {
        var element = Get(parent, name);
        if (element is null)
        {
            return null;
        }

        if (element.Value.ValueKind != JsonValueKind.String)
        {
            return WrongType<string>(path, "a string", element.Value);
        }

        return element.Value.GetString();
    }

    /// <summary>A required, non-blank string.</summary>
    public string RequiredString(JsonElement parent, string name, string path)
    {
        var text = String(parent, name, path);
        if (Problem is null && string.IsNullOrWhiteSpace(text))
        {
            Fail(path, $"'{path}' is required and must be a non-empty string.");
        }

        return text ?? string.Empty;
    }

    /// <summary>A required entity id: non-blank, at most <see cref="MaxIdLength"/> characters, no control characters.</summary>
    public string EntityId(JsonElement parent, string name, string path)
    {
        var id = RequiredString(parent, name, path);
        if (Problem is null && (id.Length > MaxIdLength || id.Any(char.IsControl)))
        {
            Fail(path, $"'{path}' must be at most {MaxIdLength} characters with no control characters.");
        }

        return id;
    }

    /// <summary>A required JSON object.</summary>
    public JsonElement RequiredObject(JsonElement parent, string name, string path)
    {
        var element = Object(parent, name, path);
        if (Problem is null && element is null)
        {
            Fail(path, $"'{path}' is required and must be an object.");
        }

        return element ?? default;
    }

    /// <summary>An optional JSON object.</summary>
    public JsonElement? Object(JsonElement parent, string name, string path)
    {
        var element = Get(parent, name);
        if (element is null)
        {
            return null;
        }

        return element.Value.ValueKind == JsonValueKind.Object ? element : WrongType<JsonElement?>(path, "an object", element.Value);
    }

    /// <summary>An optional whole number from 0 to <see cref="int.MaxValue"/>.</summary>
    public int? Count(JsonElement parent, string name, string path)
    {
        var number = Number(parent, name, path);
        if (number is null)
        {
            return null;
        }

        if (number < 0 || number > int.MaxValue || decimal.Truncate(number.Value) != number)
        {
            Fail(path, $"'{path}' must be a whole number from 0 to {int.MaxValue}.");
            return null;
        }

        return (int)number.Value;
    }

    /// <summary>An optional Unix time, in (fractional) seconds or in milliseconds.</summary>
    public DateTimeOffset? UnixTime(JsonElement parent, string name, string path, bool milliseconds)
    {
        var number = Number(parent, name, path);
        if (number is null)
        {
            return null;
        }

        var seconds = milliseconds ? number.Value / 1000m : number.Value;
        if (seconds < 0 || seconds > MaxUnixSeconds)
        {
            Fail(path, $"'{path}' must be a Unix time in {(milliseconds ? "milliseconds" : "seconds")}.");
            return null;
        }

        // Ticks keep the provider's sub-millisecond precision (Verbex sends microseconds and beyond).
        return DateTimeOffset.UnixEpoch.AddTicks((long)decimal.Truncate(seconds * TimeSpan.TicksPerSecond));
    }

    /// <summary>An optional ISO 8601 timestamp string.</summary>
    public DateTimeOffset? IsoTime(JsonElement parent, string name, string path)
    {
        var text = String(parent, name, path);
        if (text is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            Fail(path, $"'{path}' must be an ISO 8601 timestamp.");
            return null;
        }

        return parsed;
    }

    /// <summary>An optional object of custom fields: string values as they are, any other value as its JSON text.</summary>
    public ImmutableSortedDictionary<string, string> CustomFields(JsonElement parent, string name, string path)
    {
        if (Object(parent, name, path) is not { } fields)
        {
            return ImmutableSortedDictionary<string, string>.Empty;
        }

        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var field in fields.EnumerateObject())
        {
            builder[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
        }

        return builder.ToImmutable();
    }

    private decimal? Number(JsonElement parent, string name, string path)
    {
        var element = Get(parent, name);
        if (element is null)
        {
            return null;
        }

        if (element.Value.ValueKind != JsonValueKind.Number)
        {
            return WrongType<decimal?>(path, "a number", element.Value);
        }

        if (!element.Value.TryGetDecimal(out var number))
        {
            Fail(path, $"'{path}' is out of range.");
            return null;
        }

        return number;
    }

    private JsonElement? Get(JsonElement parent, string name)
    {
        if (Problem is not null || parent.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return parent.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? element : null;
    }

    private T? WrongType<T>(string path, string expected, JsonElement actual)
    {
        Fail(path, $"'{path}' must be {expected}, not {Describe(actual.ValueKind)}.");
        return default;
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "undefined",
    };
}
