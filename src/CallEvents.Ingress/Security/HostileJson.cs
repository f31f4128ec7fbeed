using System.Text.Json;

namespace CallEvents.Ingress.Security;

/// <summary>
/// Checks JSON that parsed for strings no reader can decode: an escaped lone UTF-16 surrogate (<c>"\ud800"</c>) is
/// valid JSON syntax, but reading it as a string throws. Accepting such a body would make every later read of it
/// (the adapter, the stored history, even the parser's duplicate-key check) fail, so the pipeline refuses it
/// before parsing, as bad input.
/// </summary>
internal static class HostileJson
{
    public static bool HasUndecodableStrings(ReadOnlySpan<byte> utf8Json, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = maxDepth });
        while (Read(ref reader))
        {
            // Only escaped strings can hold an escaped surrogate; raw bytes were checked as UTF-8 already.
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Reads the next token; malformed JSON just ends the scan, so the parser reports it with its position.</summary>
    private static bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
