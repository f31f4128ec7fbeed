using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using CallEvents.Ingress.Security;
using Microsoft.AspNetCore.Authorization;
using CallEvents.Journal;
using CallEvents.Lifecycle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Serialization;

namespace CallEvents.Ingress;

/// <summary>
/// Finding calls and workflow executions, and exporting their stored deliveries. Both read the entity index and the
/// journal directly (kept in the same commit as every event), never by asking every grain. A tenant-bound operator key
/// sees only its organization: a filter naming another one finds nothing rather than saying whether it exists.
/// </summary>
internal static class SearchApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>
    /// Maps the lists and the export. They narrow every answer to a tenant-bound key's organization themselves, so they
    /// need any operator key (<see cref="OperatorPolicies.Operator"/>), not the per-entity tenant rule.
    /// </summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var lists = app.MapGroup(string.Empty).WithTags("Queries").RequireAuthorization(OperatorPolicies.Operator);
        lists.MapGet("/calls", (HttpContext context, IJournal journal) => SearchAsync(context, journal, JournalStreams.CallKind))
            .WithName("SearchCalls")
            .WithSummary("Calls, newest first, filtered by source, status, outcome, stall, anomaly, organization and time")
            .WithDescription(SearchNote)
            .Produces<SearchView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        lists.MapGet("/workflows", (HttpContext context, IJournal journal) => SearchAsync(context, journal, JournalStreams.WorkflowKind))
            .WithName("SearchWorkflowExecutions")
            .WithSummary("Workflow executions, newest first, filtered like calls (no outcome)")
            .WithDescription(SearchNote)
            .Produces<SearchView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        lists.MapGet("/export", ExportAsync)
            .WithName("Export")
            .WithSummary("Every stored delivery of the calls and executions that first arrived in [since, until), as NDJSON")
            .WithDescription("One JSON object per line: key, kind, sequence, eventName, type, providerTime, receivedAt, late, dedupKey, payloadKept, payload (the raw body; written compacted, with payloadReformatted: true, when it had line breaks). A tenant-bound key exports only its organization.")
            .Produces<ExportLineView>(StatusCodes.Status200OK, Ndjson.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private const string SearchNote =
        "Pages are keyset pages (pass nextCursor as cursor), newest first by first arrival, so none skips or repeats an entity while new ones arrive. limit is 1-500 (default 50). since/until are ISO 8601 times on first arrival. A tenant-bound key sees only its organization; naming another in organizationId finds nothing.";

    private static async Task<IResult> SearchAsync(HttpContext context, IJournal journal, string kind)
    {
        var q = context.Request.Query;
        var problem = Parse(q, kind, out var query);
        if (problem is not null)
        {
            return problem;
        }

        if (Tenant(context, query.OrganizationId) is not { } organization)
        {
            return TypedResults.Ok(new SearchView([], null));
        }

        EntityPage page;
        try
        {
            page = await journal.SearchAsync(query with { OrganizationId = organization.Value }, context.RequestAborted);
        }
        catch (JournalUnavailableException ex)
        {
            return Answers.Unavailable(context, RetryAfter(context), ex.Message);
        }

        return TypedResults.Ok(new SearchView(
            [.. page.Items.Select(i => EntitySummaryView.From(i.Stream, i.Row))],
            page.Next is { } next ? Cursor.Encode(kind, next) : null));
    }

    private static async Task<IResult> ExportAsync(HttpContext context, IJournal journal, Serializer serializer)
    {
        var q = context.Request.Query;
        if (Time(q, "since", out var since) is { } badSince)
        {
            return badSince;
        }

        if (Time(q, "until", out var until) is { } badUntil)
        {
            return badUntil;
        }

        var filter = q["organizationId"].ToString();
        if (Tenant(context, filter.Length > 0 ? filter : null) is not { } organization)
        {
            // Another tenant's organization: an empty export, exactly as for an organization with nothing stored.
            Ndjson.Start(context.Response, "export.ndjson");
            return Results.Empty;
        }

        var query = new ExportQuery { Since = since, Until = until, OrganizationId = organization.Value };
        var response = context.Response;
        await using var deliveries = EntityExport.DeliveriesAsync(journal, serializer, query, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);

        // The first read decides the status: storage down before anything was sent is a 503 like everywhere else.
        bool any;
        try
        {
            any = await deliveries.MoveNextAsync();
        }
        catch (JournalUnavailableException ex)
        {
            return Answers.Unavailable(context, RetryAfter(context), ex.Message);
        }

        var writer = Ndjson.Start(response, "export.ndjson");
        await using (writer)
        {
            while (any)
            {
                var delivery = deliveries.Current;
                var e = delivery.Stored.Event;
                Ndjson.WriteLine(writer, delivery.Key, delivery.Kind, delivery.Sequence, e.EventName, e.Type, e.ProviderTime, e.ReceivedAt, delivery.Stored.Late, e.DedupKey.ToString(), delivery.Payload);
                await Ndjson.EndLineAsync(writer, response, context.RequestAborted);
                try
                {
                    any = await deliveries.MoveNextAsync();
                }
                catch (JournalUnavailableException)
                {
                    // Mid-stream: the status is sent already; ending the body short is all that is left to say.
                    context.Abort();
                    break;
                }
            }
        }

        return Results.Empty;
    }

    /// <summary>
    /// The organization a request may see: the key's own (a filter naming another yields null: nothing to show), the
    /// filter's for an unbound key, or a wrapped null for "every organization".
    /// </summary>
    private static StrongBox<string?>? Tenant(HttpContext context, string? filter)
    {
        if (context.Operator()?.OrganizationId is not { } tenant)
        {
            return new StrongBox<string?>(filter);
        }

        return filter is null || string.Equals(filter, tenant, StringComparison.Ordinal) ? new StrongBox<string?>(tenant) : null;
    }

    private static IResult? Parse(IQueryCollection q, string kind, out EntityQuery query)
    {
        query = new EntityQuery { Kind = kind };
        var source = q["source"].ToString();
        if (source.Length > 0 && !EventSources.IsKnown(source))
        {
            return Answers.BadField("source", $"source must be one of {string.Join(", ", EventSources.All)}.");
        }

        string? status = null;
        if (q["status"].ToString() is { Length: > 0 } statusText)
        {
            status = kind == JournalStreams.CallKind
                ? Enum.TryParse<CallPhase>(statusText, ignoreCase: true, out var call) && call != CallPhase.None ? call.ToString() : null
                : Enum.TryParse<WorkflowPhase>(statusText, ignoreCase: true, out var workflow) && workflow != WorkflowPhase.None ? workflow.ToString() : null;
            if (status is null || int.TryParse(statusText, out _))
            {
                var names = kind == JournalStreams.CallKind ? Enum.GetNames<CallPhase>().Skip(1) : Enum.GetNames<WorkflowPhase>().Skip(1);
                return Answers.BadField("status", $"status must be one of {string.Join(", ", names)}.");
            }
        }

        string? outcome = null;
        if (q["outcome"].ToString() is { Length: > 0 } outcomeText)
        {
            if (kind != JournalStreams.CallKind || int.TryParse(outcomeText, out _) || !Enum.TryParse<CallOutcome>(outcomeText, ignoreCase: true, out var parsed))
            {
                return Answers.BadField("outcome", kind == JournalStreams.CallKind
                    ? $"outcome must be one of {string.Join(", ", Enum.GetNames<CallOutcome>())}."
                    : "workflow executions have no outcome; filter by status.");
            }

            outcome = parsed.ToString();
        }

        bool? stalled = null;
        if (q["stalled"].ToString() is { Length: > 0 } stalledText)
        {
            if (!bool.TryParse(stalledText, out var value))
            {
                return Answers.BadField("stalled", "stalled must be true or false.");
            }

            stalled = value;
        }

        var anomaly = q["anomaly"].ToString();
        var organization = q["organizationId"].ToString();
        if (anomaly.Length > 64 || organization.Length > 256)
        {
            return Answers.BadField(anomaly.Length > 64 ? "anomaly" : "organizationId", "the value is too long.");
        }

        if (Time(q, "since", out var since) is { } badSince)
        {
            return badSince;
        }

        if (Time(q, "until", out var until) is { } badUntil)
        {
            return badUntil;
        }

        var limit = DefaultLimit;
        if (q["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return Answers.BadField("limit", $"limit must be between 1 and {MaxLimit}.");
        }

        EntityCursor? after = null;
        if (q["cursor"].ToString() is { Length: > 0 } cursorText)
        {
            if (Cursor.Decode(kind, cursorText) is not { } decoded)
            {
                return Answers.BadField("cursor", "cursor is not one this service issued for this list; pass nextCursor from a previous page.");
            }

            after = decoded;
        }

        query = query with
        {
            Source = source.Length > 0 ? source : null,
            Status = status,
            Outcome = outcome,
            Stalled = stalled,
            Anomaly = anomaly.Length > 0 ? anomaly : null,
            OrganizationId = organization.Length > 0 ? organization : null,
            Since = since,
            Until = until,
            Limit = limit,
            After = after,
        };
        return null;
    }

    private static IResult? Time(IQueryCollection q, string name, out DateTimeOffset? value)
    {
        value = null;
        if (q[name].ToString() is not { Length: > 0 } text)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return Answers.BadField(name, $"{name} must be an ISO 8601 date and time, e.g. 2026-05-01T00:00:00Z.");
        }

        value = parsed;
        return null;
    }

    private static int RetryAfter(HttpContext context) =>
        context.RequestServices.GetService(typeof(GrainGateway)) is GrainGateway gateway ? gateway.RetryAfterSeconds : 5;

    /// <summary>An opaque keyset cursor: the list it belongs to and the last item's position.</summary>
    private static class Cursor
    {
        public static string Encode(string kind, EntityCursor at) =>
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
                string.Create(CultureInfo.InvariantCulture, $"{kind}|{at.FirstReceivedAt.UtcTicks}|{at.Stream}")));

        public static EntityCursor? Decode(string kind, string cursor)
        {
            string text;
            try
            {
                text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            }
            catch (FormatException)
            {
                return null;
            }

            var parts = text.Split('|', 3);
            return parts.Length == 3 && parts[0] == kind
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks
                ? new EntityCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[2])
                : null;
        }
    }
}

/// <summary>One line of an NDJSON export (<c>GET /export</c>, <c>GET …/events?format=ndjson</c>): one stored delivery.</summary>
/// <param name="Key">The grain key, <c>{source}/{id}</c>.</param>
/// <param name="Kind"><c>call</c> or <c>workflow</c>.</param>
/// <param name="Sequence">1-based arrival order among the entity's accepted events.</param>
/// <param name="EventName">The raw event name.</param>
/// <param name="Type">The mapped type.</param>
/// <param name="ProviderTime">Provider time.</param>
/// <param name="ReceivedAt">When it was received.</param>
/// <param name="Late">It arrived after a higher phase.</param>
/// <param name="DedupKey">The deduplication key, as hex.</param>
/// <param name="PayloadKept">False past the entity's caps.</param>
/// <param name="Payload">The raw body as JSON; null when not kept.</param>
/// <param name="PayloadReformatted">Present and true when the body had line breaks and is written compacted.</param>
public sealed record ExportLineView(
    string Key,
    string Kind,
    int Sequence,
    string EventName,
    NormalizedEventType Type,
    DateTimeOffset? ProviderTime,
    DateTimeOffset ReceivedAt,
    bool Late,
    string DedupKey,
    bool PayloadKept,
    System.Text.Json.JsonElement? Payload,
    bool? PayloadReformatted);

/// <summary>A page of a search.</summary>
/// <param name="Items">Newest first (by first arrival).</param>
/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record SearchView(IReadOnlyList<EntitySummaryView> Items, string? NextCursor);

/// <summary>What a list shows of a call or workflow execution.</summary>
/// <param name="Key">The grain key, <c>{source}/{id}</c>.</param>
/// <param name="Source">The provider.</param>
/// <param name="Id">The provider's call or execution id.</param>
/// <param name="Status">The status.</param>
/// <param name="Outcome">The outcome (calls).</param>
/// <param name="Stalled">The stall reason while stalled.</param>
/// <param name="Anomalies">Anomaly codes.</param>
/// <param name="OrganizationId">The organization.</param>
/// <param name="FirstReceivedAt">When its first event arrived.</param>
/// <param name="LastReceivedAt">When its latest event arrived.</param>
/// <param name="EventCount">Distinct events accepted.</param>
/// <param name="Finished">Nothing more is expected.</param>
public sealed record EntitySummaryView(
    string Key,
    string Source,
    string Id,
    string Status,
    string? Outcome,
    string? Stalled,
    IReadOnlyList<string> Anomalies,
    string? OrganizationId,
    DateTimeOffset FirstReceivedAt,
    DateTimeOffset LastReceivedAt,
    int EventCount,
    bool Finished)
{
    internal static EntitySummaryView From(string stream, EntityIndexRow row) => new(
        JournalStreams.Split(stream).Key, row.Source, row.EntityId, row.Status, row.Kind == JournalStreams.CallKind ? row.Outcome : null, row.Stalled,
        row.Anomalies, row.OrganizationId, row.FirstReceivedAt, row.LastReceivedAt, row.EventCount, row.Finished);
}
