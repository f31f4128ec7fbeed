using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CallEvents.Journal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CallEvents.PostgreSql;

/// <summary>
/// The journal in PostgreSQL (<c>deploy/sql/005-journal.sql</c>), with group commit: one writer per silo gathers the
/// writes of every grain and sends each group as a single statement, one transaction, which inserts the records
/// (<c>ON CONFLICT DO NOTHING</c>: a taken sequence number fails that write alone), upserts the entity-index rows and
/// sets or clears due times of exactly the writes that went in. A write completes only after its group committed; if
/// the statement fails, every write of the group fails. Activation reads are grouped the same way.
/// </summary>
internal sealed partial class PostgresJournal : IJournal, IAsyncDisposable
{
    /// <summary>The meter of the journal's own instruments.</summary>
    public const string MeterName = "CallEvents.Journal";

    private const int MaxGroup = 512;
    private const int StatementTimeoutSeconds = 15;

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> GroupSize = Meter.CreateHistogram<int>("callevents.journal.flush.size", "{write}", "Writes per group commit.");
    private static readonly Histogram<double> FlushTime = Meter.CreateHistogram<double>("callevents.journal.flush.duration", "s", "Time of one group commit.");
    private static readonly Counter<long> FlushFailures = Meter.CreateCounter<long>("callevents.journal.flush.failures", "{flush}", "Group commits that failed (every write in them failed).");
    private static readonly Counter<long> StorageFailures = Meter.CreateCounter<long>("callevents.journal.storage.failures", "{statement}", "Journal statements of any kind (writes, reads, searches, claims) that failed on storage trouble.");
    private static readonly Counter<long> Conflicts = Meter.CreateCounter<long>("callevents.journal.conflicts", "{write}", "Writes refused because another activation took the sequence number.");

    private readonly PostgresDurabilityDataSource _database;
    private readonly OutageLog _outage;
    private readonly GroupCommitQueue<WriteRequest> _writes;
    private readonly GroupCommitQueue<ReadRequest> _reads;

    public PostgresJournal(PostgresDurabilityDataSource database, ILogger<PostgresJournal> logger, [FromKeyedServices(CallEventClock.Key)] TimeProvider time)
    {
        _database = database;
        _outage = new OutageLog(logger, "The PostgreSQL journal", time);
        _writes = new GroupCommitQueue<WriteRequest>(FlushWritesAsync, Unavailable, MaxGroup);
        _reads = new GroupCommitQueue<ReadRequest>(FlushReadsAsync, Unavailable, MaxGroup);
    }

    /// <summary>Whether the last operation on PostgreSQL failed (the journal is in an outage).</summary>
    public bool IsDown => _outage.IsDown;

    /// <inheritdoc/>
    public Task<IReadOnlyList<JournalRecord>> ReadAsync(string stream, CancellationToken cancellationToken = default)
    {
        var request = new ReadRequest(stream);
        return _reads.TryEnqueue(request) ? request.Completion : Task.FromException<IReadOnlyList<JournalRecord>>(ShuttingDown());
    }

    /// <inheritdoc/>
    public Task WriteAsync(JournalWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);

        // One span per caller: its wait for the group commit that carries its write (a child of the grain call, so of
        // the delivery's trace). The flush itself is a span of its own, linked to every write it carried.
        var caller = Activity.Current;
        var activity = CallEventsTelemetry.Source.StartActivity("callevents.journal.write", ActivityKind.Internal);
        Activity.Current = caller;
        activity?.SetTag("db.system.name", "postgresql");
        var request = new WriteRequest(write, activity?.Context ?? caller?.Context ?? default);
        if (!_writes.TryEnqueue(request))
        {
            activity?.SetStatus(ActivityStatusCode.Error, "shutting down");
            activity?.Dispose();
            return Task.FromException(ShuttingDown());
        }

        return activity is null ? request.Completion : TraceAsync(activity, request);
    }

    private static async Task TraceAsync(Activity activity, WriteRequest request)
    {
        try
        {
            await request.Completion;
        }
        catch (Exception ex)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
        finally
        {
            activity.SetTag("callevents.journal.batch.size", request.GroupSize);
            activity.Dispose();
        }
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<JournalRecord>> ReadWithPayloadsAsync(string stream, IReadOnlyList<int> sequences, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<JournalRecord>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    "SELECT seq, data, payload FROM callevents_journal WHERE stream = @stream AND seq = ANY(@seqs) ORDER BY seq", connection);
                command.Parameters.Add(new NpgsqlParameter<string>("stream", stream));
                command.Parameters.Add(new NpgsqlParameter<int[]>("seqs", [.. sequences]));
                var records = new List<JournalRecord>(sequences.Count);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    records.Add(new JournalRecord(reader.GetInt32(0), reader.GetFieldValue<byte[]>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2)));
                }

                return records;
            },
            cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ClaimDueAsync(DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<string>>(
            async connection =>
            {
                // SKIP LOCKED: sweepers on several silos claim disjoint sets; the lease brings back a wake that never completed.
                await using var command = new NpgsqlCommand(
                    """
                    UPDATE callevents_due d SET due_at = @until
                    FROM (SELECT stream FROM callevents_due WHERE due_at <= @now ORDER BY due_at LIMIT @max FOR UPDATE SKIP LOCKED) c
                    WHERE d.stream = c.stream
                    RETURNING d.stream
                    """,
                    connection);
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now.ToUniversalTime()));
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("until", (now + lease).ToUniversalTime()));
                command.Parameters.Add(new NpgsqlParameter<int>("max", max));
                var streams = new List<string>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    streams.Add(reader.GetString(0));
                }

                return streams;
            },
            cancellationToken);

    /// <inheritdoc/>
    public Task EraseAsync(string stream, int lastSequence, byte[] tombstone, CancellationToken cancellationToken = default) =>
        RunAsync<object?>(
            async connection =>
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using var command = new NpgsqlCommand(
                    """
                    WITH erased AS (
                        DELETE FROM callevents_journal WHERE stream = @stream AND seq <= @last
                    ), unindexed AS (
                        DELETE FROM callevents_entities WHERE stream = @stream
                    ), undue AS (
                        DELETE FROM callevents_due WHERE stream = @stream
                    )
                    INSERT INTO callevents_journal (stream, seq, data) VALUES (@stream, @last + 1, @tombstone)
                    ON CONFLICT DO NOTHING
                    """,
                    connection,
                    transaction);
                command.Parameters.Add(new NpgsqlParameter<string>("stream", stream));
                command.Parameters.Add(new NpgsqlParameter<int>("last", lastSequence));
                command.Parameters.Add(new NpgsqlParameter<byte[]>("tombstone", tombstone));
                if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
                {
                    // Another activation wrote after what this grain knows: erase nothing it has not seen.
                    await transaction.RollbackAsync(cancellationToken);
                    throw new JournalConflictException($"{stream} moved past record {lastSequence} before its erasure.");
                }

                await transaction.CommitAsync(cancellationToken);
                return null;
            },
            cancellationToken);

    /// <inheritdoc/>
    public Task<EntityPage> SearchAsync(EntityQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return RunAsync(
            async connection =>
            {
                // Only the filters that are set become conditions, so each combination gets a plan that can use the
                // index matching its order (kind, first arrival, stream) instead of a generic one.
                await using var command = new NpgsqlCommand { Connection = connection, CommandTimeout = StatementTimeoutSeconds };
                var where = new List<string> { "kind = @kind" };
                command.Parameters.Add(new NpgsqlParameter<string>("kind", query.Kind));
                Filter(where, command, "source = @source", "source", query.Source);
                Filter(where, command, "status = @status", "status", query.Status);
                Filter(where, command, "outcome = @outcome", "outcome", query.Outcome);
                Filter(where, command, "organization_id = @organization", "organization", query.OrganizationId);
                Filter(where, command, "@anomaly = ANY(anomalies)", "anomaly", query.Anomaly);
                if (query.Stalled is { } stalled)
                {
                    where.Add(stalled ? "stalled IS NOT NULL" : "stalled IS NULL");
                }

                if (query.Since is { } since)
                {
                    where.Add("first_received_at >= @since");
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("since", since.ToUniversalTime()));
                }

                if (query.Until is { } until)
                {
                    where.Add("first_received_at < @until");
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("until", until.ToUniversalTime()));
                }

                if (query.After is { } after)
                {
                    where.Add("(first_received_at, stream) < (@after_at, @after_stream)");
                    command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("after_at", after.FirstReceivedAt.ToUniversalTime()));
                    command.Parameters.Add(new NpgsqlParameter<string>("after_stream", after.Stream));
                }

                command.Parameters.Add(new NpgsqlParameter<int>("limit", query.Limit + 1));
                command.CommandText =
                    $"""
                    SELECT {IndexColumns} FROM callevents_entities
                    WHERE {string.Join(" AND ", where)}
                    ORDER BY first_received_at DESC, stream DESC
                    LIMIT @limit
                    """;
                var items = new List<(string, EntityIndexRow)>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    items.Add(ReadIndexRow(reader));
                }

                EntityCursor? next = null;
                if (items.Count > query.Limit)
                {
                    items.RemoveAt(items.Count - 1);
                    var (stream, row) = items[^1];
                    next = new EntityCursor(row.FirstReceivedAt, stream);
                }

                return new EntityPage(items, next);
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> FinishedBeforeAsync(DateTimeOffset cutoff, int max, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<string>>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    "SELECT stream FROM callevents_entities WHERE finished AND first_received_at < @cutoff ORDER BY first_received_at LIMIT @max", connection);
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", cutoff.ToUniversalTime()));
                command.Parameters.Add(new NpgsqlParameter<int>("max", max));
                var streams = new List<string>();
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    streams.Add(reader.GetString(0));
                }

                return streams;
            },
            cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<ExportedRecord> ExportAsync(ExportQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        NpgsqlConnection connection;
        NpgsqlDataReader reader;
        try
        {
            connection = await _database.DataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            _outage.Failed(ex);
            throw Unavailable(ex);
        }

        await using (connection)
        {
            // One statement, read as it streams: an export of any size holds one connection, not the whole result.
            await using var command = new NpgsqlCommand
            {
                Connection = connection,
                CommandTimeout = 0,
                CommandText =
                    $"""
                    SELECT {IndexColumns.Replace("stream,", "e.stream,", StringComparison.Ordinal)}, j.seq, j.data, j.payload
                    FROM callevents_entities e JOIN callevents_journal j ON j.stream = e.stream
                    WHERE (@since::timestamptz IS NULL OR e.first_received_at >= @since)
                      AND (@until::timestamptz IS NULL OR e.first_received_at < @until)
                      AND (@organization::text IS NULL OR e.organization_id = @organization)
                    ORDER BY e.first_received_at, e.stream, j.seq
                    """,
            };
            command.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = (object?)query.Since?.ToUniversalTime() ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = (object?)query.Until?.ToUniversalTime() ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("organization", NpgsqlDbType.Text) { Value = (object?)query.OrganizationId ?? DBNull.Value });
            try
            {
                reader = await command.ExecuteReaderAsync(cancellationToken);
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                _outage.Failed(ex);
                throw Unavailable(ex);
            }

            await using (reader)
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (stream, row) = ReadIndexRow(reader);
                    var record = new JournalRecord(
                        reader.GetInt32(13),
                        reader.GetFieldValue<byte[]>(14),
                        reader.IsDBNull(15) ? null : reader.GetFieldValue<byte[]>(15));
                    yield return new ExportedRecord(stream, row, record);
                }
            }
        }
    }

    /// <summary>Flushes what is queued and stops: writes accepted before shutdown still commit.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writes.DisposeAsync();
        await _reads.DisposeAsync();
    }

    private const string WriteSql =
        """
        WITH input AS (
            SELECT * FROM unnest(@stream, @seq, @data, @payload, @due_set, @due_at,
                                 @indexed, @kind, @source, @entity_id, @status, @outcome, @stalled, @anomalies,
                                 @organization_id, @first_received_at, @last_received_at, @event_count, @finished)
                WITH ORDINALITY AS i(stream, seq, data, payload, due_set, due_at,
                                     indexed, kind, source, entity_id, status, outcome, stalled, anomalies,
                                     organization_id, first_received_at, last_received_at, event_count, finished, ord)
        ), appended AS (
            INSERT INTO callevents_journal (stream, seq, data, payload)
            SELECT stream, seq, data, payload FROM input WHERE data IS NOT NULL
            ON CONFLICT DO NOTHING
            RETURNING stream, seq
        ), applied AS (
            SELECT i.* FROM input i JOIN appended a ON a.stream = i.stream AND a.seq = i.seq
            UNION ALL
            -- A due-time change without a record applies only to a writer that knows the stream's last record.
            SELECT i.* FROM input i
            WHERE i.data IS NULL
              AND i.seq = COALESCE((SELECT max(j.seq) FROM callevents_journal j WHERE j.stream = i.stream), 0)
        ), indexed AS (
            INSERT INTO callevents_entities AS e (stream, kind, source, entity_id, status, outcome, stalled, anomalies,
                                                  organization_id, first_received_at, last_received_at, event_count, finished)
            SELECT stream, kind, source, entity_id, status, outcome, stalled, string_to_array(anomalies, ','),
                   organization_id, first_received_at, last_received_at, event_count, finished
            FROM applied WHERE indexed
            ON CONFLICT (stream) DO UPDATE SET
                status = excluded.status, outcome = excluded.outcome, stalled = excluded.stalled,
                anomalies = excluded.anomalies, organization_id = excluded.organization_id,
                first_received_at = excluded.first_received_at, last_received_at = excluded.last_received_at,
                event_count = excluded.event_count, finished = excluded.finished
        ), due_set AS (
            INSERT INTO callevents_due (stream, due_at)
            SELECT stream, due_at FROM applied WHERE due_set AND due_at IS NOT NULL
            ON CONFLICT (stream) DO UPDATE SET due_at = excluded.due_at
        ), due_cleared AS (
            DELETE FROM callevents_due d USING applied a WHERE d.stream = a.stream AND a.due_set AND a.due_at IS NULL
        )
        SELECT ord FROM applied
        """;

    private async Task FlushWritesAsync(List<WriteRequest> group)
    {
        // One lock order for every silo's statements: sorted by stream.
        group.Sort((a, b) => string.CompareOrdinal(a.Write.Stream, b.Write.Stream));
        var n = group.Count;
        var stream = new string[n];
        var seq = new int[n];
        var data = new byte[]?[n];
        var payload = new byte[]?[n];
        var dueSet = new bool[n];
        var dueAt = new DateTimeOffset?[n];
        var indexed = new bool[n];
        var kind = new string?[n];
        var source = new string?[n];
        var entityId = new string?[n];
        var status = new string?[n];
        var outcome = new string?[n];
        var stalled = new string?[n];
        var anomalies = new string?[n];
        var organization = new string?[n];
        var first = new DateTimeOffset?[n];
        var last = new DateTimeOffset?[n];
        var eventCount = new int?[n];
        var finished = new bool?[n];
        for (var i = 0; i < n; i++)
        {
            var w = group[i].Write;
            stream[i] = w.Stream;
            seq[i] = w.Sequence;
            data[i] = w.Data;
            payload[i] = w.Payload is { } p ? AsArray(p) : null;
            dueSet[i] = w.Due is not null;
            dueAt[i] = w.Due?.At?.ToUniversalTime();
            if (w.Index is { } index)
            {
                indexed[i] = true;
                kind[i] = index.Kind;
                source[i] = index.Source;
                entityId[i] = index.EntityId;
                status[i] = index.Status;
                outcome[i] = index.Outcome;
                stalled[i] = index.Stalled;
                anomalies[i] = string.Join(',', index.Anomalies);
                organization[i] = index.OrganizationId;
                first[i] = index.FirstReceivedAt.ToUniversalTime();
                last[i] = index.LastReceivedAt.ToUniversalTime();
                eventCount[i] = index.EventCount;
                finished[i] = index.Finished;
            }
        }

        var applied = new bool[n];
        var clock = Stopwatch.StartNew();

        // The flush belongs to no single delivery: a root span linked to each write it carries.
        Activity.Current = null;
        var links = group.Where(r => r.Caller != default).Select(r => new ActivityLink(r.Caller)).ToList();
        using var activity = CallEventsTelemetry.Source.StartActivity("callevents.journal.flush", ActivityKind.Client, parentContext: default, links: links);
        activity?.SetTag("db.system.name", "postgresql");
        activity?.SetTag("callevents.journal.batch.size", n);
        foreach (var request in group)
        {
            request.GroupSize = n;
        }

        try
        {
            await FlushAsync();
        }
        catch (Exception ex)
        {
            FlushFailures.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }

        Task FlushAsync() => RunAsync<object?>(
            async connection =>
            {
                await using var command = new NpgsqlCommand(WriteSql, connection) { CommandTimeout = StatementTimeoutSeconds };
                var p = command.Parameters;
                p.Add(new NpgsqlParameter<string[]>("stream", stream));
                p.Add(new NpgsqlParameter<int[]>("seq", seq));
                p.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = data });
                p.Add(new NpgsqlParameter("payload", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = payload });
                p.Add(new NpgsqlParameter<bool[]>("due_set", dueSet));
                p.Add(new NpgsqlParameter("due_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = dueAt });
                p.Add(new NpgsqlParameter<bool[]>("indexed", indexed));
                p.Add(new NpgsqlParameter("kind", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = kind });
                p.Add(new NpgsqlParameter("source", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = source });
                p.Add(new NpgsqlParameter("entity_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = entityId });
                p.Add(new NpgsqlParameter("status", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = status });
                p.Add(new NpgsqlParameter("outcome", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = outcome });
                p.Add(new NpgsqlParameter("stalled", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = stalled });
                p.Add(new NpgsqlParameter("anomalies", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = anomalies });
                p.Add(new NpgsqlParameter("organization_id", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = organization });
                p.Add(new NpgsqlParameter("first_received_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = first });
                p.Add(new NpgsqlParameter("last_received_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = last });
                p.Add(new NpgsqlParameter("event_count", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = eventCount });
                p.Add(new NpgsqlParameter("finished", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = finished });
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    applied[reader.GetInt64(0) - 1] = true;
                }

                return null;
            },
            CancellationToken.None);

        GroupSize.Record(n);
        FlushTime.Record(clock.Elapsed.TotalSeconds);
        for (var i = 0; i < n; i++)
        {
            var request = group[i];
            if (applied[i] || request.Write.Data is null)
            {
                // A due-time change from a stale view is dropped on purpose; its writer learns nothing it must act on.
                request.Complete();
            }
            else
            {
                Conflicts.Add(1);
                request.Fail(new JournalConflictException($"Record {request.Write.Sequence} of {request.Write.Stream} is already written."));
            }
        }
    }

    private async Task FlushReadsAsync(List<ReadRequest> group)
    {
        var streams = group.Select(r => r.Stream).Distinct(StringComparer.Ordinal).ToArray();
        var found = await RunAsync(
            async connection =>
            {
                await using var command = new NpgsqlCommand(
                    "SELECT stream, seq, data FROM callevents_journal WHERE stream = ANY(@streams) ORDER BY stream, seq", connection)
                {
                    CommandTimeout = StatementTimeoutSeconds,
                };
                command.Parameters.Add(new NpgsqlParameter<string[]>("streams", streams));
                var byStream = new Dictionary<string, List<JournalRecord>>(StringComparer.Ordinal);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var name = reader.GetString(0);
                    if (!byStream.TryGetValue(name, out var records))
                    {
                        byStream[name] = records = [];
                    }

                    records.Add(new JournalRecord(reader.GetInt32(1), reader.GetFieldValue<byte[]>(2)));
                }

                return byStream;
            },
            CancellationToken.None);
        foreach (var request in group)
        {
            request.Complete(found.TryGetValue(request.Stream, out var records) ? records : []);
        }
    }

    private const string IndexColumns =
        "stream, kind, source, entity_id, status, outcome, stalled, anomalies, organization_id, first_received_at, last_received_at, event_count, finished";

    private static (string Stream, EntityIndexRow Row) ReadIndexRow(NpgsqlDataReader reader) =>
        (reader.GetString(0), new EntityIndexRow
        {
            Kind = reader.GetString(1),
            Source = reader.GetString(2),
            EntityId = reader.GetString(3),
            Status = reader.GetString(4),
            Outcome = reader.IsDBNull(5) ? null : reader.GetString(5),
            Stalled = reader.IsDBNull(6) ? null : reader.GetString(6),
            Anomalies = reader.GetFieldValue<string[]>(7),
            OrganizationId = reader.IsDBNull(8) ? null : reader.GetString(8),
            FirstReceivedAt = reader.GetFieldValue<DateTimeOffset>(9),
            LastReceivedAt = reader.GetFieldValue<DateTimeOffset>(10),
            EventCount = reader.GetInt32(11),
            Finished = reader.GetBoolean(12),
        });

    private static void Filter(List<string> where, NpgsqlCommand command, string condition, string name, string? value)
    {
        if (value is not null)
        {
            where.Add(condition);
            command.Parameters.Add(new NpgsqlParameter<string>(name, value));
        }
    }

    private static bool IsStorageFailure(Exception ex) =>
        ex is NpgsqlException or TimeoutException or IOException or ObjectDisposedException or InvalidOperationException;

    /// <summary>Runs one statement on a pooled connection; storage failures become <see cref="JournalUnavailableException"/>.</summary>
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await _database.DataSource.OpenConnectionAsync(cancellationToken);
            var result = await work(connection);
            _outage.Succeeded();
            return result;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            StorageFailures.Add(1);
            _outage.Failed(ex);
            throw Unavailable(ex);
        }
    }

    /// <summary>Never the driver's exception itself: exceptions that cross silos must be ones Orleans can serialize.</summary>
    private static JournalUnavailableException Unavailable(Exception ex) =>
        ex as JournalUnavailableException ?? new JournalUnavailableException($"The PostgreSQL journal is unavailable: {ex.GetType().Name}: {ex.Message}");

    private static JournalUnavailableException ShuttingDown() => new("The journal is shutting down.");

    private static byte[] AsArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    private sealed class WriteRequest(JournalWrite write, ActivityContext caller) : IGroupRequest
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public JournalWrite Write => write;

        /// <summary>The span of the write's caller, which the flush links to.</summary>
        public ActivityContext Caller => caller;

        /// <summary>How many writes the group commit that carried this one held.</summary>
        public int GroupSize { get; set; }

        public string? ExclusiveKey => write.Stream;

        public Task Completion => _done.Task;

        public void Complete() => _done.TrySetResult();

        public void Fail(Exception exception) => _done.TrySetException(exception);
    }

    private sealed class ReadRequest(string stream) : IGroupRequest
    {
        private readonly TaskCompletionSource<IReadOnlyList<JournalRecord>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Stream => stream;

        public string? ExclusiveKey => null;

        public Task<IReadOnlyList<JournalRecord>> Completion => _done.Task;

        public void Complete(IReadOnlyList<JournalRecord> records) => _done.TrySetResult(records);

        public void Fail(Exception exception) => _done.TrySetException(exception);
    }
}
