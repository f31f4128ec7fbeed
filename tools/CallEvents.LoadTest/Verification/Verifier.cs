using System.Collections.Concurrent;
using System.Globalization;
using CallEvents.LoadTest.Workload;

namespace CallEvents.LoadTest.Verification;

/// <summary>The verdict on one entity.</summary>
public sealed record EntityVerdict(string Key, bool Passed, bool Uncertain, IReadOnlyList<string> Differences);

/// <summary>The correctness verdict of a run.</summary>
public sealed record Verdict
{
    public bool Passed => Failed == 0 && Unreadable == 0;

    /// <summary>Entities with at least one delivery attempted.</summary>
    public int Checked { get; init; }

    public int PassedEntities { get; init; }

    public int Failed { get; init; }

    /// <summary>Entities where some event was sent but never acknowledged (it may or may not be stored).</summary>
    public int WithUncertainty { get; init; }

    /// <summary>Snapshots that could not be read.</summary>
    public int Unreadable { get; init; }

    /// <summary>Entities whose follow-up decisions were counted and checked.</summary>
    public int DecisionsChecked { get; init; }

    /// <summary>Entities with a snapshot whose follow-up decisions could not be observed (an external host).</summary>
    public int DecisionsNotObservable { get; init; }

    /// <summary>
    /// Whether "one PCA-ready emission and one follow-up decision per call (one workflow-completed decision per
    /// completed execution)" was checked: for every entity with a snapshot, none of them unobservable.
    /// </summary>
    public bool EmissionsChecked => DecisionsChecked > 0 && DecisionsNotObservable == 0;

    /// <summary>Distinct events acknowledged, summed over entities.</summary>
    public long DistinctAcknowledged { get; init; }

    /// <summary>Deliveries acknowledged, summed over entities.</summary>
    public long DeliveriesAcknowledged { get; init; }

    /// <summary>Field name to the number of entities where it was wrong.</summary>
    public IReadOnlyDictionary<string, int> FailuresByField { get; init; } = new Dictionary<string, int>();

    /// <summary>Up to 20 failing entities with their differences.</summary>
    public IReadOnlyList<EntityVerdict> Examples { get; init; } = [];

    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether the one-emission-one-decision check ran, for logs and reports.</summary>
    public string DescribeEmissions() => EmissionsChecked
        ? "emissions checked"
        : "emissions NOT checked (follow-up decisions not observable on this target)";
}

/// <summary>
/// Compares every snapshot, and the follow-up decisions taken for it when they are observable, with what the
/// generator's model says they must be. Only acknowledged (2xx) deliveries count as stored; an event attempted
/// but never acknowledged may or may not be stored, so every subset of such events is tried and the entity passes
/// when one of them explains the snapshot exactly.
/// </summary>
public static class Verifier
{
    private const int MaxUncertainEnumerated = 10;
    private const string DecisionsField = "decisions.";
    /// <summary>The pause between reads of an entity whose only differences are its follow-up decisions.</summary>
    public static TimeSpan SettlePoll { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long, from the start of verification, entities whose only differences are follow-up decisions are read again.</summary>
    public static TimeSpan DefaultSettle { get; } = TimeSpan.FromSeconds(15);

    /// <summary>Reads every sent entity's snapshot with <paramref name="read"/> and checks it (settling for <see cref="DefaultSettle"/>).</summary>
    public static Task<Verdict> VerifyAsync(
        IReadOnlyList<EntityModel> entities,
        Func<EntityModel, CancellationToken, Task<ObservedSnapshot?>> read,
        int parallelism,
        CancellationToken cancellationToken) =>
        VerifyAsync(entities, read, parallelism, DefaultSettle, cancellationToken);

    /// <summary>Reads every sent entity's snapshot with <paramref name="read"/> and checks it.</summary>
    /// <param name="entities">The generator's model.</param>
    /// <param name="read">Reads one entity's snapshot (null: no such entity).</param>
    /// <param name="parallelism">Reads at a time.</param>
    /// <param name="settle">
    /// Emission is asynchronous (the grain publishes after its state write and the follow-up decides later): an
    /// entity whose only differences are its follow-up decisions is read again every 250 ms until it passes or
    /// this long after the start of verification (one deadline for the whole verification, not one per entity).
    /// Every other difference is final at the first read.
    /// </param>
    /// <param name="cancellationToken">Stops verification.</param>
    public static Task<Verdict> VerifyAsync(
        IReadOnlyList<EntityModel> entities,
        Func<EntityModel, CancellationToken, Task<ObservedSnapshot?>> read,
        int parallelism,
        TimeSpan settle,
        CancellationToken cancellationToken) =>
        VerifyAsync(entities, read, parallelism, settle, TimeProvider.System, cancellationToken);

    /// <summary>
    /// <see cref="VerifyAsync(IReadOnlyList{EntityModel}, Func{EntityModel, CancellationToken, Task{ObservedSnapshot?}}, int, TimeSpan, CancellationToken)"/>
    /// on the clock <paramref name="time"/>: the settle deadline, the pauses between reads and <see cref="Verdict.Elapsed"/>
    /// follow it (a test passes a fake clock to check the deadline without waiting for it).
    /// </summary>
    public static async Task<Verdict> VerifyAsync(
        IReadOnlyList<EntityModel> entities,
        Func<EntityModel, CancellationToken, Task<ObservedSnapshot?>> read,
        int parallelism,
        TimeSpan settle,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entities);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(time);
        var started = time.GetTimestamp();
        var verdicts = new ConcurrentBag<EntityVerdict>();
        var unreadable = 0;
        var decisionsChecked = 0;
        var decisionsNotObservable = 0;
        await Parallel.ForEachAsync(
            entities.Where(e => e.AnySent),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (entity, ct) =>
            {
                var (observed, failure) = await ReadAsync(entity, read, ct);
                var verdict = failure is null ? Check(entity, observed) : null;
                while (verdict is { Passed: false } && OnlyDecisionsDiffer(verdict) && time.GetElapsedTime(started) < settle)
                {
                    await Task.Delay(SettlePoll, time, ct);
                    (observed, failure) = await ReadAsync(entity, read, ct);
                    verdict = failure is null ? Check(entity, observed) : null;
                }

                if (verdict is null)
                {
                    Interlocked.Increment(ref unreadable);
                    verdicts.Add(new EntityVerdict(entity.Key, false, false, [$"snapshot unreadable: {failure!.GetType().Name}: {failure.Message}"]));
                    return;
                }

                if (observed?.Decisions is not null)
                {
                    Interlocked.Increment(ref decisionsChecked);
                }
                else if (observed is not null)
                {
                    Interlocked.Increment(ref decisionsNotObservable);
                }

                verdicts.Add(verdict);
            });

        return Summarize(entities, verdicts, unreadable, decisionsChecked, decisionsNotObservable, time.GetElapsedTime(started));
    }

    /// <summary>Checks one entity's snapshot (null: the service says it has no such entity).</summary>
    public static EntityVerdict Check(EntityModel entity, ObservedSnapshot? observed)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var sent = entity.Events.Where(e => e.Sent > 0).ToList();
        var acknowledged = sent.Where(e => e.Acknowledged > 0).ToList();
        var maybe = sent.Where(e => e.Acknowledged == 0).ToList();
        var uncertain = maybe.Count > 0 || sent.Any(e => e.Uncertain > 0);
        if (observed is null)
        {
            return acknowledged.Count == 0
                ? new EntityVerdict(entity.Key, true, uncertain, [])
                : new EntityVerdict(entity.Key, false, uncertain, [$"snapshot: missing, but {acknowledged.Count} distinct event(s) were acknowledged"]);
        }

        IReadOnlyList<string>? best = null;
        foreach (var subset in Subsets(maybe))
        {
            List<EventModel> stored = [.. acknowledged, .. subset];
            var differences = Compare(Expectations.For(entity, stored), observed);
            differences.AddRange(DuplicateDifferences(sent, acknowledged.Count, stored.Count, observed.DuplicateCount));
            if (differences.Count == 0)
            {
                return new EntityVerdict(entity.Key, true, uncertain, []);
            }

            // Report against the candidate that agrees on the event count, if any: the most telling explanation.
            if (best is null || (stored.Count == observed.EventCount && differences.Count <= best.Count))
            {
                best = differences;
            }
        }

        return new EntityVerdict(entity.Key, false, uncertain, best ?? ["no candidate set of stored events"]);
    }

    /// <summary>Field-by-field differences between the expected and the observed snapshot.</summary>
    public static List<string> Compare(ExpectedSnapshot expected, ObservedSnapshot observed)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(observed);
        var differences = new List<string>();
        void Check<T>(string field, T want, T got)
        {
            if (!EqualityComparer<T>.Default.Equals(want, got))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{field}: expected {Show(want)}, got {Show(got)}"));
            }
        }

        Check("status", expected.Status, observed.Status);
        if (expected.Outcome is not null)
        {
            Check("outcome", expected.Outcome, observed.Outcome);
        }

        foreach (var phase in expected.Phases.Keys.Union(observed.Phases.Keys).Order(StringComparer.Ordinal))
        {
            var want = expected.Phases.TryGetValue(phase, out var w) ? w : (DateTimeOffset?)null;
            var got = observed.Phases.TryGetValue(phase, out var g) ? g : (DateTimeOffset?)null;
            Check($"phases.{phase}", want, got);
        }

        Check("missingPhases", string.Join(",", expected.MissingPhases.Order(StringComparer.Ordinal)), string.Join(",", observed.MissingPhases.Order(StringComparer.Ordinal)));
        Check("eventCount", expected.EventCount, observed.EventCount);
        Check("nodeExecutions", expected.NodeExecutions, observed.NodeExecutions);
        Check("lastNode", expected.LastNode, observed.LastNode);
        Check("failureReason", expected.FailureReason, observed.FailureReason);
        Check("unrecognizedCount", 0, observed.UnrecognizedCount);
        Check("anomalies", string.Empty, string.Join(",", observed.Anomalies));
        if (observed.Decisions is { } decisions)
        {
            // Exactly one emission, decided once, per milestone reached; none for a milestone never reached.
            foreach (var streamNamespace in expected.Decisions.Keys.Union(decisions.Keys).Order(StringComparer.Ordinal))
            {
                Check(DecisionsField + streamNamespace, expected.Decisions.GetValueOrDefault(streamNamespace), decisions.GetValueOrDefault(streamNamespace));
            }

            // The follow-up records one decision per emission id: more decisions than ids is one emission decided twice.
            Check(DecisionsField + "distinctEmissionIds", decisions.Values.Sum(), observed.DecidedEmissions);
        }

        return differences;
    }

    /// <summary>Reads a snapshot, trying 5 times; the last failure when every try failed.</summary>
    private static async Task<(ObservedSnapshot? Observed, Exception? Failure)> ReadAsync(
        EntityModel entity, Func<EntityModel, CancellationToken, Task<ObservedSnapshot?>> read, CancellationToken ct)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return (await read(entity, ct), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                last = ex;
                await Task.Delay(200 * (attempt + 1), ct);
            }
        }

        return (null, last);
    }

    private static bool OnlyDecisionsDiffer(EntityVerdict verdict) =>
        verdict.Differences.Count > 0 && verdict.Differences.All(d => d.StartsWith(DecisionsField, StringComparison.Ordinal));

    /// <summary>
    /// The duplicate counter counts deliveries of an already stored event. Every acknowledged delivery either
    /// stored its event (at most once per acknowledged event) or was a duplicate; an uncertain attempt may have
    /// been either, or nothing. Without uncertain attempts the count is exact.
    /// </summary>
    private static IEnumerable<string> DuplicateDifferences(List<EventModel> sent, int distinctAcknowledged, int stored, int observed)
    {
        var acknowledged = sent.Sum(e => e.Acknowledged);
        var uncertain = sent.Sum(e => e.Uncertain);
        var low = acknowledged - distinctAcknowledged;
        var high = acknowledged + uncertain - stored;
        if (observed < low || observed > high)
        {
            yield return low == high
                ? string.Create(CultureInfo.InvariantCulture, $"duplicateCount: expected {low}, got {observed}")
                : string.Create(CultureInfo.InvariantCulture, $"duplicateCount: expected {low}..{high}, got {observed}");
        }
    }

    private static IEnumerable<List<EventModel>> Subsets(List<EventModel> maybe)
    {
        if (maybe.Count > MaxUncertainEnumerated)
        {
            // Too many to enumerate: try "none stored" and "all stored" only (the verdict may then be a false alarm).
            yield return [];
            yield return maybe;
            yield break;
        }

        for (var mask = 0; mask < 1 << maybe.Count; mask++)
        {
            var subset = new List<EventModel>();
            for (var i = 0; i < maybe.Count; i++)
            {
                if ((mask & (1 << i)) != 0)
                {
                    subset.Add(maybe[i]);
                }
            }

            yield return subset;
        }
    }

    private static Verdict Summarize(IReadOnlyList<EntityModel> entities, IEnumerable<EntityVerdict> verdicts, int unreadable, int decisionsChecked, int decisionsNotObservable, TimeSpan elapsed)
    {
        var list = verdicts.ToList();
        var byField = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var verdict in list.Where(v => !v.Passed))
        {
            foreach (var field in verdict.Differences.Select(d => d.Split(':')[0]).Distinct(StringComparer.Ordinal))
            {
                byField[field] = byField.GetValueOrDefault(field) + 1;
            }
        }

        return new Verdict
        {
            Checked = list.Count,
            PassedEntities = list.Count(v => v.Passed),
            Failed = list.Count(v => !v.Passed),
            WithUncertainty = list.Count(v => v.Uncertain),
            Unreadable = unreadable,
            DecisionsChecked = decisionsChecked,
            DecisionsNotObservable = decisionsNotObservable,
            DistinctAcknowledged = entities.Sum(e => (long)e.Events.Count(x => x.Acknowledged > 0)),
            DeliveriesAcknowledged = entities.Sum(e => (long)e.Events.Sum(x => x.Acknowledged)),
            FailuresByField = byField,
            Examples = [.. list.Where(v => !v.Passed).OrderBy(v => v.Key, StringComparer.Ordinal).Take(20)],
            Elapsed = elapsed,
        };
    }

    private static string Show<T>(T value) => value switch
    {
        null => "null",
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        string s => $"'{s}'",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };
}
