using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace CallEvents.Security.Tests.Infrastructure;

/// <summary>One generated hostile request: either an HTTP request sent with HttpClient, or raw bytes for a socket.</summary>
public sealed record HostileCase(int Index, string Kind, string Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, string? ContentType, byte[] Body, SigningPlan? Sign = null, byte[]? Raw = null, bool HalfClose = false)
{
    /// <summary>Everything needed to replay it by hand.</summary>
    public string Describe(int seed, IEnumerable<(string Name, string Value)> sentHeaders)
    {
        var body = Raw ?? Body;
        var encoded = Convert.ToBase64String(body);
        var shown = encoded.Length > 65536 ? encoded[..65536] + $"… ({encoded.Length} base64 chars; regenerate with the seed)" : encoded;
        var headers = string.Join("; ", sentHeaders.Select(h => $"{h.Name}: {Short(h.Value)}"));
        return $"case {Index} of seed {seed} [{Kind}] {Method} {Short(Path)} content-type={ContentType ?? "(none)"} headers=[{headers}] {(Raw is null ? "body" : "raw request")} ({body.Length} bytes, base64)={shown}";
    }

    private static string Short(string value) => value.Length > 300 ? $"{value[..300]}…({value.Length} chars)" : value;
}

/// <summary>Sign the body as a Standard Webhooks sender would at send time (timestamps are live), then maybe spoil it.</summary>
public sealed record SigningPlan(byte[] Key, string Id, int TimestampOffsetSeconds, string? SpoilSignature, string? SpoilTimestamp);

/// <summary>
/// Generates hostile requests from a seed: random JSON shapes, wrong types, nulls, huge strings and numbers, deep
/// nesting, duplicate keys, invalid UTF-8, truncated bodies, wrong content types, header injection, oversized
/// headers and broken HTTP framing, against every endpoint, with valid, missing and wrong credentials. Case
/// <c>i</c> of seed <c>s</c> is always the same request.
/// </summary>
public static class HostileCases
{
    private static readonly string[] VerbexEvents = ["CallHandler.CallStarted", "CallHandler.CallEnded", "callAnalysis.pcaCompleted", "CallHandler.Unknown", ""];
    private static readonly string[] SubVerseCallEvents = ["call.in_queue", "call.placed", "call.errored", "call.canceled", "call.expired", "call.completed", "call.transcribed"];
    private static readonly string[] SubVerseWorkflowEvents = ["workflow.in_queue", "workflow.started", "workflow.node_execution", "workflow.failed", "workflow.completed", "workflow.paused"];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "application/json; charset=\"utf-8\"",
        "application/json;;;==", "application/cloudevents+json", "application/problem+json", "*/*", "application/JSON",
        "application/json; charset=utf-8; boundary=\"\r\"", "json", "application/",
    ];

    private static readonly string[] RawTokens =
    [
        "null", "true", "false", "0", "-0", "-1", "1e308", "1e400", "-1e400", "1E+99999", "123456789012345678901234567890123456789",
        "0.000000000000000000000000000000000001", "9223372036854775808", "-9223372036854775809", "4294967296", "1.5", "NaN",
        "Infinity", "{}", "[]", "[[[[[[]]]]]]", "{\"a\":null}", "\"\"", "\"   \"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00x\"",
        "\"\\ud83d\\ude00\"", "\"a\\nb\"", "\"../../etc/passwd\"", "\"%00\"", "\"x/y/z\"", "\"\\u202e\"", "\"2025-13-45T99:99:99Z\"",
        "\"1762670195.5\"", "\"-62135596800\"", "253402300800", "-62135596801", "1762670195.24565582123456789", "\"\\\\\"",
    ];

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xE2, 0x82], [0xFE, 0xFF], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ];

    public static HostileCase Generate(int seed, int index)
    {
        var r = new Random(unchecked((seed * 1_000_003) + index));
        var roll = r.Next(100);
        return roll switch
        {
            < 9 => RawCase(r, index),
            < 21 => QueryCase(r, index),
            < 25 => OddRouteCase(r, index),
            _ => WebhookCase(r, index),
        };
    }

    private static HostileCase WebhookCase(Random r, int index)
    {
        var source = r.Next(2) == 0 ? EventSources.Verbex : EventSources.SubVerse;
        var path = r.Next(20) switch
        {
            0 => $"/webhooks/{source.ToUpperInvariant()}",
            1 => $"/webhooks/{source}/",
            2 => $"/webhooks/{source}?x={Uri.EscapeDataString(RandomText(r, 40))}",
            _ => $"/webhooks/{source}",
        };
        var (kind, body) = Body(r, source, index);
        var contentType = r.Next(100) switch
        {
            < 88 => "application/json",
            < 91 => null,
            _ => Pick(r, ContentTypes),
        };

        var headers = new List<(string, string)>();
        SigningPlan? sign = null;
        var auth = r.Next(100);
        if (source == EventSources.Verbex)
        {
            if (auth < 72)
            {
                headers.AddRange(r.Next(10) switch
                {
                    < 6 => TestCredentials.VerbexUnbound,
                    < 8 => TestCredentials.VerbexA,
                    _ => TestCredentials.VerbexB,
                });
            }
            else if (auth < 86)
            {
                headers.Add((Pick(r, ["X-API-Key", "Authorization", "x-api-key"]), Pick(r, [TestCredentials.VerbexKeyA[..^1], "Bearer " + TestCredentials.OperatorKey, AsciiText(r, 30), TestCredentials.SubVerseBearer, ""])));
            }
        }
        else
        {
            if (auth < 82)
            {
                headers.Add(r.Next(4) == 0 ? ("X-API-Key", TestCredentials.SubVerseApiKeyA) : ("Authorization", TestCredentials.SubVerseBearer));
            }

            if (auth < 72 || auth >= 90)
            {
                var spoil = r.Next(100);
                sign = new SigningPlan(
                    r.Next(8) == 0 ? TestCredentials.OldSigningKey : TestCredentials.SigningKey,
                    r.Next(15) == 0 ? AsciiText(r, r.Next(0, 400)) : $"msg_{index}_{r.Next()}",
                    spoil < 5 ? Pick(r, [-3600, 3600, -301, 400]) : r.Next(-200, 200),
                    spoil is >= 5 and < 12 ? Pick(r, ["", "v1,", "v1,AAAA", "v2," + AsciiText(r, 44), string.Join(' ', Enumerable.Repeat("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 200)), "v1," + new string('A', 5000)]) : null,
                    spoil is >= 12 and < 16 ? Pick(r, ["", "-1", "1e9", "99999999999999999999999", " 1762670195", "0x10", "1 2", "+1762670195"]) : null);
            }
        }

        if (r.Next(100) < 30)
        {
            headers.AddRange(ExtraHeaders(r, source));
        }

        return new HostileCase(index, $"webhook/{kind}", "POST", path, headers, contentType, body, sign);
    }

    private static (string Kind, byte[] Body) Body(Random r, string source, int index)
    {
        var template = Template(r, source, index);
        var roll = r.Next(1000);
        return roll switch
        {
            < 140 => ("valid", Utf8(template.ToJsonString())),
            < 480 => ("mutated", Utf8(Mutate(r, template, r.Next(1, 4)))),
            < 600 => ("random-json", Utf8(RandomJson(r, r.Next(1, 7)))),
            < 650 => ("deep", Deep(r, template)),
            < 700 => ("duplicate-keys", Utf8(DuplicateKey(r, template))),
            < 770 => ("invalid-utf8", InjectInvalidUtf8(r, Utf8(template.ToJsonString()))),
            < 840 => ("truncated", Truncate(r, Utf8(template.ToJsonString()))),
            < 880 => ("random-bytes", RandomBytes(r, r.Next(0, 2048))),
            < 920 => ("degenerate", Utf8(Pick(r, ["", " ", "null", "{}", "[]", "\"x\"", "0", "{\"\":\"\"}", "\uFEFF{}", "{}{}", "{\"a\":1}garbage", "/*c*/{}", "{\"a\":1,}"]))),
            < 960 => ("hostile-strings", Utf8(HostileStrings(r, template))),
            < 997 => ("huge-values", Utf8(HugeValue(r, template))),
            _ => ("oversize", Oversize(r, template)),
        };
    }

    private static JsonObject Template(Random r, string source, int index)
    {
        var id = $"fz-{index}";
        if (source == EventSources.Verbex)
        {
            var org = r.Next(4) switch { 0 => null, 1 => TestCredentials.OrgA, 2 => TestCredentials.OrgB, _ => RandomText(r, 12) };
            return Payloads.VerbexJson(Pick(r, VerbexEvents), id, $"{id}-trace", org, 1762670195.5m + r.Next(-100000, 100000));
        }

        var at = Payloads.At.AddSeconds(r.Next(-100000, 100000));
        return r.Next(3) == 0
            ? Payloads.SubVerseWorkflowJson(Pick(r, SubVerseWorkflowEvents), id, at)
            : Payloads.SubVerseCallJson(Pick(r, SubVerseCallEvents), id, at);
    }

    /// <summary>Replaces, removes, renames, wraps or adds fields anywhere in the tree.</summary>
    private static string Mutate(Random r, JsonObject root, int count)
    {
        var raw = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var slots = new List<(JsonObject Parent, string Key)>();
            Collect(root, slots);
            if (slots.Count == 0)
            {
                break;
            }

            var (parent, key) = slots[r.Next(slots.Count)];
            switch (r.Next(6))
            {
                case 0:
                    parent.Remove(key);
                    break;
                case 1:
                    var value = parent[key];
                    parent.Remove(key);
                    parent[r.Next(2) == 0 ? key.ToUpperInvariant() : key + "_"] = value;
                    break;
                case 2:
                    var wrapped = parent[key];
                    parent[key] = null;
                    parent[key] = new JsonArray(wrapped);
                    break;
                case 3:
                    parent[$"unknown_{r.Next(1000)}"] = RandomNode(r, 3);
                    break;
                default:
                    raw.Add(r.Next(4) == 0 ? RandomJson(r, 3) : Pick(r, RawTokens));
                    parent[key] = $"__RAW_{raw.Count - 1}__";
                    break;
            }
        }

        var text = root.ToJsonString();
        for (var i = 0; i < raw.Count; i++)
        {
            text = text.Replace($"\"__RAW_{i}__\"", raw[i], StringComparison.Ordinal);
        }

        return text;
    }

    private static void Collect(JsonObject node, List<(JsonObject, string)> slots)
    {
        foreach (var (key, value) in node.ToList())
        {
            slots.Add((node, key));
            if (value is JsonObject child)
            {
                Collect(child, slots);
            }
        }
    }

    private static string HostileStrings(Random r, JsonObject root)
    {
        var targets = new List<(JsonObject, string)>();
        Collect(root, targets);
        var (parent, key) = targets[r.Next(targets.Count)];
        parent[key] = "__HOSTILE__";
        var hostile = Pick(r, ["\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\u0000b\"", "\"\\u001f\"", "\"\\t\"", "\"..\"", "\"/\"", "\"a/b\"", "\"%2F\"", "\"\\u2028\\u2029\"", "\"\\uFFFE\"", "\"\\\"\"", "\" \"", "\"\\r\\nX-Injected: 1\""]);
        return root.ToJsonString().Replace("\"__HOSTILE__\"", hostile, StringComparison.Ordinal);
    }

    private static string HugeValue(Random r, JsonObject root)
    {
        var targets = new List<(JsonObject, string)>();
        Collect(root, targets);
        var (parent, key) = targets[r.Next(targets.Count)];
        parent[key] = "__HUGE__";
        var size = r.Next(1, 250) * 1024;
        var huge = r.Next(3) switch
        {
            0 => "\"" + new string('x', size) + "\"",
            1 => new string('9', r.Next(100, 20000)),
            _ => "[" + string.Join(',', Enumerable.Repeat("1", size / 2)) + "]",
        };
        return root.ToJsonString().Replace("\"__HUGE__\"", huge, StringComparison.Ordinal);
    }

    private static byte[] Oversize(Random r, JsonObject root)
    {
        var data = root["data"] as JsonObject ?? root["payload"] as JsonObject ?? root;
        data["transcript"] = new string('t', (1024 * 1024) + r.Next(1, 4096));
        return Utf8(root.ToJsonString());
    }

    private static byte[] Deep(Random r, JsonObject template)
    {
        var depth = Pick(r, [30, 50, 58, 60, 61, 62, 63, 64, 65, 66, 200, 5000, 100_000]);
        var nested = r.Next(2) == 0
            ? new string('[', depth) + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        if (r.Next(2) == 0)
        {
            return Utf8(nested);
        }

        var data = template["data"] as JsonObject ?? template["payload"] as JsonObject ?? template;
        data["deep"] = "__DEEP__";
        return Utf8(template.ToJsonString().Replace("\"__DEEP__\"", nested, StringComparison.Ordinal));
    }

    private static string DuplicateKey(Random r, JsonObject template)
    {
        var slots = new List<(JsonObject Parent, string Key)>();
        Collect(template, slots);
        var (parent, key) = slots[r.Next(slots.Count)];
        var marker = $"dup_marker_{r.Next(100000)}";
        parent[marker] = 0;
        var duplicate = $"\"{key}\":{(r.Next(2) == 0 ? Pick(r, RawTokens) : parent[key]?.ToJsonString() ?? "null")}";
        return template.ToJsonString().Replace($"\"{marker}\":0", duplicate, StringComparison.Ordinal);
    }

    private static byte[] InjectInvalidUtf8(Random r, byte[] body)
    {
        var list = body.ToList();
        for (var i = r.Next(1, 4); i > 0; i--)
        {
            // Inside a string value where possible, so only the UTF-8 check can catch it.
            var quote = list.IndexOf((byte)'"', r.Next(list.Count));
            var at = quote < 0 ? r.Next(list.Count + 1) : quote + 1;
            list.InsertRange(Math.Min(at, list.Count), InvalidUtf8[r.Next(InvalidUtf8.Length)]);
        }

        return [.. list];
    }

    private static byte[] Truncate(Random r, byte[] body) => body[..r.Next(body.Length)];

    private static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static List<(string, string)> ExtraHeaders(Random r, string source)
    {
        var headers = new List<(string, string)>();
        for (var i = r.Next(1, 4); i > 0; i--)
        {
            headers.Add(r.Next(9) switch
            {
                0 => ("X-Webhook-Event", Pick(r, [.. VerbexEvents, AsciiText(r, 30)])),
                1 => ("X-Webhook-Traceid", AsciiText(r, r.Next(1, 80))),
                2 => ("webhook-id", AsciiText(r, r.Next(0, 300))),
                3 => ("X-Webhook-Id", AsciiText(r, r.Next(1, 300))),
                4 => ("X-Padding", new string('p', r.Next(1, 8000))),
                5 => ("Content-Encoding", Pick(r, ["gzip", "br", "identity", "x"])),
                6 => ("X-Forwarded-For", AsciiText(r, 40)),
                7 => ("X-Webhook-Timestamp", AsciiText(r, 30)),
                _ => (source == EventSources.Verbex ? "X-Webhook-Traceid" : "webhook-id", "dup-" + r.Next(10)),
            });
        }

        return headers;
    }

    private static HostileCase QueryCase(Random r, int index)
    {
        var id = r.Next(7) switch
        {
            0 => Uri.EscapeDataString(RandomText(r, r.Next(1, 300))),
            1 => Pick(r, ["..", "%2e%2e", "%2F", "a%2Fb", "%00", "%E2%80%AE", "%C0%AF", "%FF", "x%20y", "~", "%25", "%u0041"]),
            2 => new string('i', r.Next(257, 6000)),
            3 or 4 => $"fz-{r.Next(index + 1)}",
            _ => $"unknown-{r.Next()}",
        };
        var source = r.Next(8) == 0 ? Uri.EscapeDataString(RandomText(r, 10)) : Pick(r, ["verbex", "subverse", "VERBEX"]);
        var path = r.Next(8) switch
        {
            0 => $"/calls/{source}/{id}",
            1 => $"/calls/{source}/{id}/events",
            2 => $"/calls/{source}/{id}/follow-ups",
            3 => $"/calls/{source}/{id}/follow-ups/{id}",
            4 => $"/workflows/{id}",
            5 => $"/workflows/{id}/events",
            6 => $"/workflows/{id}/follow-ups",
            _ => $"/workflows/{id}/follow-ups/{id}",
        };
        var method = path.Split('/').Length > 5 && r.Next(3) > 0 ? "DELETE" : Pick(r, ["GET", "GET", "GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS", "DELETE"]);
        var headers = new List<(string, string)>();
        switch (r.Next(8))
        {
            case < 3:
                headers.Add(("Authorization", "Bearer " + TestCredentials.OperatorKey));
                break;
            case 3:
                headers.Add(("X-API-Key", Pick(r, [TestCredentials.OperatorKeyA, TestCredentials.OperatorKeyB])));
                break;
            case 4:
                headers.Add(("Authorization", Pick(r, ["Bearer", "Bearer ", "Basic YTpi", "bearer " + TestCredentials.OperatorKey, "Bearer  " + TestCredentials.OperatorKey, TestCredentials.OperatorKey, "Bearer " + AsciiText(r, 40)])));
                break;
            case 5:
                headers.Add(("X-API-Key", Pick(r, [TestCredentials.VerbexKeyA, "", AsciiText(r, 20)])));
                break;
            case 6:
                headers.Add(("Authorization", "Bearer " + TestCredentials.OperatorKeyA));
                headers.Add(("X-API-Key", TestCredentials.OperatorKey));
                break;
            default:
                break;
        }

        var body = method is "POST" or "PUT" or "PATCH" ? Utf8(RandomJson(r, 3)) : [];
        return new HostileCase(index, "query", method, path, headers, body.Length > 0 ? "application/json" : null, body);
    }

    private static HostileCase OddRouteCase(Random r, int index)
    {
        var path = Pick(r, ["/webhooks/unknown", "/webhooks", "/webhooks/", "/webhooks/verbex/extra", "/", "/calls", "/calls/verbex", "/workflows", "/favicon.ico", "/webhooks/sub%76erse", "/webhooks//verbex", "/%2e%2e/webhooks/verbex"]);
        var method = Pick(r, ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]);
        var body = method is "GET" or "HEAD" or "TRACE" or "DELETE" or "OPTIONS" ? [] : Utf8(RandomJson(r, 2));
        return new HostileCase(index, "odd-route", method, path, [.. TestCredentials.VerbexUnbound], body.Length > 0 ? "application/json" : null, body);
    }

    private static HostileCase RawCase(Random r, int index)
    {
        var source = r.Next(2) == 0 ? "verbex" : "subverse";
        var target = r.Next(4) == 0 ? "/calls/verbex/" + Pick(r, ["%ZZ", "%", "%00", "a%2", "x"]) : $"/webhooks/{source}";
        var credential = source == "verbex" ? $"Authorization: {TestCredentials.VerbexBearer}\r\n" : $"Authorization: {TestCredentials.SubVerseBearer}\r\n";
        var json = Utf8(Template(r, source, index).ToJsonString());
        var kind = r.Next(17);
        var halfClose = false;
        byte[] request = kind switch
        {
            0 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\nX-Inject: a\nInjected: b\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
            1 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\nX-Inject: a\rInjected: b\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
            2 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
            3 => Concat(Utf8($"POST {target} HTTP/1.1\r\nHost: x\r\nX-Latin: "), [0xE9, 0xFF, 0x7F], Utf8($"\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n"), json),
            4 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\nNo colon here\r\n Folded: continuation\r\n: empty-name\r\nBad Name: v\r\n\r\n", []),
            5 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\nX-Huge: {new string('h', r.Next(33, 80) * 1024)}\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
            6 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{string.Concat(Enumerable.Range(0, r.Next(70, 300)).Select(i => $"X-H{i}: v\r\n"))}\r\n", []),
            7 => Request($"GET /calls/verbex/{new string('a', r.Next(9, 40) * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n", []),
            8 => Request(Pick(r, ["GARBAGE\r\n\r\n", $"POST {target} HTTP/9.9\r\nHost: x\r\n\r\n", $"POST  {target}  HTTP/1.1\r\nHost: x\r\n\r\n", $"post {target} HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", $"POST http://evil.example{target} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", $"POST {target}\r\n\r\n"]), []),
            9 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length + r.Next(1, 5000)}\r\n\r\n", json),
            10 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nContent-Length: {Pick(r, ["-1", "abc", "1,2", "99999999999999999999", " 5", "0x10"])}\r\n\r\n", json),
            11 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\nContent-Length: {json.Length + 1}\r\n\r\n", json),
            12 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{Pick(r, ["zz\r\nabc\r\n0\r\n\r\n", $"{json.Length:x}\r\n", "5;ext=" + new string('e', 5000) + "\r\nhello\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFF\r\n", "3\r\nabcdef\r\n0\r\n\r\n"])}", []),
            13 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\nTransfer-Encoding: chunked\r\n\r\n", json),
            14 => Request($"POST {target} HTTP/1.1\r\n{credential}Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
            15 => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {json.Length}\r\n\r\n", json),
            _ => Request($"POST {target} HTTP/1.1\r\nHost: x\r\n{credential}Authorization: Bearer second\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n", json),
        };
        // A body shorter than announced, or a chunked body without its last chunk, ends with the client closing
        // its side; every other request is complete and waits for its answer.
        halfClose = kind is 9 or 12;
        return new HostileCase(index, $"raw/{kind}", "RAW", target, [], null, [], Raw: request, HalfClose: halfClose);
    }

    private static byte[] Request(string head, byte[] body) => Concat(Utf8(head), body);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static string RandomJson(Random r, int depth)
    {
        var sb = new StringBuilder();
        WriteRandomJson(r, depth, sb);
        return sb.ToString();
    }

    private static void WriteRandomJson(Random r, int depth, StringBuilder sb)
    {
        switch (depth <= 0 ? r.Next(4) : r.Next(7))
        {
            case 0:
                sb.Append(Pick(r, RawTokens));
                break;
            case 1:
                sb.Append(System.Text.Json.JsonSerializer.Serialize(RandomText(r, r.Next(0, 60))));
                break;
            case 2:
                sb.Append(r.NextDouble() < 0.5 ? r.Next(int.MinValue, int.MaxValue).ToString(CultureInfo.InvariantCulture) : (r.NextDouble() * Math.Pow(10, r.Next(-20, 300))).ToString("R", CultureInfo.InvariantCulture));
                break;
            case 3:
                sb.Append(Pick(r, ["null", "true", "false"]));
                break;
            case 4:
            case 5:
                sb.Append('{');
                for (var i = r.Next(0, 6); i > 0; i--)
                {
                    var key = r.Next(5) == 0 ? Pick(r, ["eventType", "eventName", "traceId", "data", "payload", "callId", "call_id", "executionId", "organizationId", "createdAt", "timestamp"]) : RandomText(r, r.Next(0, 12));
                    sb.Append(System.Text.Json.JsonSerializer.Serialize(key)).Append(':');
                    WriteRandomJson(r, depth - 1, sb);
                    sb.Append(i > 1 ? "," : "");
                }

                sb.Append('}');
                break;
            default:
                sb.Append('[');
                for (var i = r.Next(0, 6); i > 0; i--)
                {
                    WriteRandomJson(r, depth - 1, sb);
                    sb.Append(i > 1 ? "," : "");
                }

                sb.Append(']');
                break;
        }
    }

    /// <summary>A random value JsonNode can hold (no infinities, NaN or lone surrogates).</summary>
    private static JsonNode? RandomNode(Random r, int depth)
    {
        var text = RandomJson(r, depth).Replace("-1e400", "1", StringComparison.Ordinal).Replace("1e400", "1", StringComparison.Ordinal)
            .Replace("NaN", "0", StringComparison.Ordinal).Replace("Infinity", "0", StringComparison.Ordinal).Replace("1E+99999", "1", StringComparison.Ordinal);
        try
        {
            return JsonNode.Parse(
                System.Text.RegularExpressions.Regex.Replace(text, @"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", "x"),
                documentOptions: new System.Text.Json.JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (System.Text.Json.JsonException)
        {
            // Random objects may repeat a key, which a JsonObject cannot hold.
            return JsonValue.Create("x");
        }
    }

    private static string RandomText(Random r, int length)
    {
        const string Alphabet = "abcXYZ0123456789-_./:;%&?=+ \"'\\<>{}[]éß漢字\u202e\u00a0\t";
        var chars = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            chars.Append(r.Next(40) == 0 ? "😀" : Alphabet[r.Next(Alphabet.Length)]);
        }

        return chars.ToString();
    }

    /// <summary>Printable ASCII only: HttpClient refuses anything else in a header (raw cases send the rest).</summary>
    private static string AsciiText(Random r, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)r.Next(0x20, 0x7F);
        }

        return new string(chars);
    }

    private static T Pick<T>(Random r, IReadOnlyList<T> items) => items[r.Next(items.Count)];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
