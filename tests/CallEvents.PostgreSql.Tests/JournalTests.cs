using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using CallEvents.Journal;
using CallEvents.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CallEvents.PostgreSql.Tests;

/// <summary>The PostgreSQL journal against a real server: group commit, conflicts, failed groups, due times, the index.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JournalTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset At = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Records_payloads_index_rows_and_due_times_are_written_together_and_read_back()
    {
        var db = await NewDatabaseAsync("journal_roundtrip");
        await using var journal = Journal(db);
        var index = new EntityIndexRow
        {
            Kind = JournalStreams.CallKind, Source = "verbex", EntityId = "c1", Status = "Started", Outcome = "None",
            Anomalies = ["agent-mismatch", "organization-mismatch"], OrganizationId = "org-1",
            FirstReceivedAt = At, LastReceivedAt = At.AddSeconds(5), EventCount = 2, Finished = false,
        };
        var payload = Encoding.UTF8.GetBytes("""{"raw":true}""");
        await journal.WriteAsync(new JournalWrite("call|verbex/c1", 1, [1, 2, 3], payload, index, new DueChange(At.AddHours(2))));
        await journal.WriteAsync(new JournalWrite("call|verbex/c1", 2, [4], Due: DueChange.Clear));

        var records = await journal.ReadAsync("call|verbex/c1");
        Assert.Equal([1, 2], records.Select(r => r.Sequence));
        Assert.Equal([1, 2, 3], records[0].Data.ToArray());
        Assert.Null(records[0].Payload);
        var withPayload = await journal.ReadWithPayloadsAsync("call|verbex/c1", [1]);
        Assert.Equal(payload, withPayload.Single().Payload!.Value.ToArray());

        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM callevents_due"));
        await using var row = new NpgsqlCommand("SELECT status, anomalies, organization_id, event_count, finished FROM callevents_entities WHERE stream = 'call|verbex/c1'", connection);
        await using var reader = await row.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("Started", reader.GetString(0));
        Assert.Equal(["agent-mismatch", "organization-mismatch"], reader.GetFieldValue<string[]>(1));
        Assert.Equal("org-1", reader.GetString(2));
        Assert.Equal(2, reader.GetInt32(3));
        Assert.False(reader.GetBoolean(4));
    }

    [Fact]
    public async Task Two_writers_appending_one_stream_concurrently_never_lose_or_overwrite_an_event()
    {
        var db = await NewDatabaseAsync("journal_split_brain");
        // Two silos' journals: two writers, as in a brief split brain with an activation of the same grain on each.
        await using var a = Journal(db);
        await using var b = Journal(db);
        const string stream = "call|subverse/split";
        for (var round = 0; round < 20; round++)
        {
            var next = (await a.ReadAsync(stream)).Count + 1;
            var fromA = Try(a.WriteAsync(new JournalWrite(stream, next, Encoding.UTF8.GetBytes($"a{round}"))));
            var fromB = Try(b.WriteAsync(new JournalWrite(stream, next, Encoding.UTF8.GetBytes($"b{round}"))));
            var outcomes = await Task.WhenAll(fromA, fromB);

            // Exactly one wins the number; the other is told so and, after reading the stream again, appends after it.
            Assert.Single(outcomes, o => o is null);
            Assert.Single(outcomes, o => o is JournalConflictException);
            var loser = outcomes[0] is null ? b : a;
            var text = outcomes[0] is null ? $"b{round}" : $"a{round}";
            await loser.WriteAsync(new JournalWrite(stream, (await loser.ReadAsync(stream)).Count + 1, Encoding.UTF8.GetBytes(text)));
        }

        var all = (await a.ReadAsync(stream)).Select(r => Encoding.UTF8.GetString(r.Data.Span)).ToList();
        Assert.Equal(40, all.Count);
        Assert.Equal(Enumerable.Range(0, 20).SelectMany(i => new[] { $"a{i}", $"b{i}" }).Order(), all.Order());
    }

    [Fact]
    public async Task Writes_of_concurrent_grains_share_one_statement_and_each_completes_after_its_commit()
    {
        var db = await NewDatabaseAsync("journal_group");
        await using var journal = Journal(db);
        var groups = new ConcurrentBag<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "callevents.journal.flush.size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) => groups.Add(size));
        listener.Start();

        const int writers = 200;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            journal.WriteAsync(new JournalWrite($"call|verbex/g{i}", 1, [(byte)i], Payload: new byte[900]))));

        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        Assert.Equal(writers, await ScalarAsync<long>(connection, "SELECT count(*) FROM callevents_journal"));
        Assert.Equal(writers, groups.Sum());
        Assert.True(groups.Count < writers, $"{writers} concurrent writes went out in {groups.Count} statements; group commit puts writes that queue during a flush into one");
    }

    [Fact]
    public async Task A_group_that_fails_when_postgres_dies_mid_flush_acknowledges_nothing_that_was_not_stored()
    {
        Assert.True(postgres.Server.CanRestart, "this test needs the throwaway server (not CALLEVENTS_TEST_POSTGRES): it kills it");
        // The throwaway server runs with synchronous_commit=off for speed, which by design may lose the last commits on
        // a crash; a durability test needs what production has: a commit acknowledged only once its WAL is written.
        var db = new NpgsqlConnectionStringBuilder(await NewDatabaseAsync("journal_kill")) { Options = "-c synchronous_commit=on" }.ConnectionString;
        var acknowledged = new ConcurrentBag<string>();
        var failed = new ConcurrentBag<Exception>();
        await using (var journal = Journal(db))
        {
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 32).Select(w => Task.Run(async () =>
            {
                for (var seq = 1; !stop.IsCancellationRequested; seq++)
                {
                    var stream = $"workflow|subverse/k{w}";
                    try
                    {
                        await journal.WriteAsync(new JournalWrite(stream, seq, Encoding.UTF8.GetBytes($"{w}:{seq}"), new byte[512]));
                        acknowledged.Add($"{stream}#{seq}");
                    }
                    catch (JournalUnavailableException ex)
                    {
                        failed.Add(ex);
                        return;
                    }
                }
            })).ToList();

            await Wait.UntilAsync(() => Task.FromResult(acknowledged.Count >= 500), TimeSpan.FromSeconds(60), "500 acknowledged writes before the kill");
            await postgres.Server.KillAsync();
            stop.Cancel();
            await Task.WhenAll(writers);
        }

        await postgres.Server.StartAsync();
        Assert.NotEmpty(failed);
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        var stored = new HashSet<string>();
        await using (var command = new NpgsqlCommand("SELECT stream || '#' || seq FROM callevents_journal", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetString(0));
            }
        }

        // Every acknowledged write survived the crash; a write that failed may or may not be there (its retry is then
        // a duplicate), but nothing was acknowledged that is not stored.
        Assert.DoesNotContain(acknowledged, a => !stored.Contains(a));
    }

    [Fact]
    public async Task A_due_time_change_from_a_stale_view_is_ignored()
    {
        var db = await NewDatabaseAsync("journal_stale_due");
        await using var journal = Journal(db);
        const string stream = "call|verbex/stale";
        await journal.WriteAsync(new JournalWrite(stream, 1, [1], Due: new DueChange(At)));
        await journal.WriteAsync(new JournalWrite(stream, 2, [2], Due: new DueChange(At.AddMinutes(1))));

        // A writer that still believes record 1 is the last may not move the due time.
        await journal.WriteAsync(new JournalWrite(stream, 1, Data: null, Due: DueChange.Clear));
        Assert.Equal([stream], await journal.ClaimDueAsync(At.AddMinutes(1), TimeSpan.FromSeconds(30), 10));

        await journal.WriteAsync(new JournalWrite(stream, 2, Data: null, Due: DueChange.Clear));
        Assert.Empty(await journal.ClaimDueAsync(At.AddDays(1), TimeSpan.FromSeconds(30), 10));
    }

    [Fact]
    public async Task Concurrent_sweepers_claim_disjoint_due_streams_and_a_claim_lasts_its_lease()
    {
        var db = await NewDatabaseAsync("journal_claims");
        await using var journal = Journal(db);
        for (var i = 0; i < 100; i++)
        {
            await journal.WriteAsync(new JournalWrite($"call|verbex/d{i}", 1, [1], Due: new DueChange(At.AddSeconds(i % 10))));
        }

        await journal.WriteAsync(new JournalWrite("call|verbex/later", 1, [1], Due: new DueChange(At.AddHours(1))));
        await using var other = Journal(db);
        var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => (i % 2 == 0 ? journal : other).ClaimDueAsync(At.AddMinutes(1), TimeSpan.FromSeconds(30), 40)));
        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(100, all.Count);
        Assert.Equal(100, all.Distinct().Count());
        Assert.DoesNotContain("call|verbex/later", all);

        // Claimed streams are due again only when their lease runs out (a wake that never completed is retried).
        Assert.Empty(await journal.ClaimDueAsync(At.AddMinutes(1).AddSeconds(29), TimeSpan.FromSeconds(30), 1000));
        Assert.Equal(100, (await journal.ClaimDueAsync(At.AddMinutes(1).AddSeconds(30), TimeSpan.FromSeconds(30), 1000)).Count);
    }

    [Fact]
    public async Task Search_filters_and_pages_by_keyset_newest_first()
    {
        var db = await NewDatabaseAsync("journal_search");
        await using var journal = Journal(db);
        for (var i = 0; i < 30; i++)
        {
            var row = new EntityIndexRow
            {
                Kind = JournalStreams.CallKind, Source = i % 2 == 0 ? "verbex" : "subverse", EntityId = $"s{i:D2}",
                Status = i % 3 == 0 ? "PcaReady" : "Started", Outcome = "None", Stalled = i == 7 ? "NotEnded" : null,
                Anomalies = i == 9 ? ["agent-mismatch"] : [], OrganizationId = i < 20 ? "org-a" : "org-b",
                FirstReceivedAt = At.AddSeconds(i / 2), LastReceivedAt = At.AddMinutes(1), EventCount = 1, Finished = i % 3 == 0,
            };
            await journal.WriteAsync(new JournalWrite($"call|{row.Source}/{row.EntityId}", 1, [1], Index: row));
        }

        // Pairs share a first-arrival time: the stream breaks the tie, so pages neither skip nor repeat.
        var seen = new List<string>();
        EntityCursor? after = null;
        do
        {
            var page = await journal.SearchAsync(new EntityQuery { Kind = JournalStreams.CallKind, Limit = 7, After = after });
            seen.AddRange(page.Items.Select(i => i.Row.EntityId));
            after = page.Next;
        }
        while (after is not null);

        Assert.Equal(30, seen.Count);
        Assert.Equal(30, seen.Distinct().Count());
        Assert.Equal(["s28", "s29", "s26", "s27"], seen[..4]);

        async Task<List<string>> Ids(EntityQuery query) => [.. (await journal.SearchAsync(query)).Items.Select(i => i.Row.EntityId).Order()];
        var calls = new EntityQuery { Kind = JournalStreams.CallKind, Limit = 100 };
        Assert.Equal(["s00", "s06", "s12", "s18", "s24"], await Ids(calls with { Status = "PcaReady", Source = "verbex" }));
        Assert.Equal(["s07"], await Ids(calls with { Stalled = true }));
        Assert.Equal(["s09"], await Ids(calls with { Anomaly = "agent-mismatch" }));
        Assert.Equal(10, (await Ids(calls with { OrganizationId = "org-b" })).Count);
        Assert.Equal(["s00", "s01"], await Ids(calls with { Until = At.AddSeconds(1) }));
        Assert.Equal(["s28", "s29"], await Ids(calls with { Since = At.AddSeconds(14) }));
        Assert.Empty(await Ids(calls with { Kind = JournalStreams.WorkflowKind }));
        Assert.Equal(["call|subverse/s03", "call|verbex/s00"], (await journal.FinishedBeforeAsync(At.AddSeconds(2), 10)).Order());
    }

    [Fact]
    public async Task Erasure_replaces_a_stream_by_its_tombstone_and_drops_its_index_row_due_time_and_payloads()
    {
        var db = await NewDatabaseAsync("journal_erase");
        await using var journal = Journal(db);
        const string stream = "call|verbex/gone";
        var row = new EntityIndexRow { Kind = JournalStreams.CallKind, Source = "verbex", EntityId = "gone", Status = "Ended", FirstReceivedAt = At, LastReceivedAt = At };
        await journal.WriteAsync(new JournalWrite(stream, 1, [1], Encoding.UTF8.GetBytes("""{"customerNumber":"+15550100"}"""), row, new DueChange(At)));
        await journal.WriteAsync(new JournalWrite(stream, 2, [2], Encoding.UTF8.GetBytes("{}")));

        await Assert.ThrowsAsync<JournalConflictException>(() => journal.EraseAsync(stream, 1, [9]));
        await journal.EraseAsync(stream, 2, [9]);

        var records = await journal.ReadAsync(stream);
        Assert.Equal([3], records.Select(r => r.Sequence));
        Assert.Equal([9], records[0].Data.ToArray());
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM callevents_journal WHERE payload IS NOT NULL"));
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM callevents_entities"));
        Assert.Equal(0L, await ScalarAsync<long>(connection, "SELECT count(*) FROM callevents_due"));

        // The stream goes on after its tombstone.
        await journal.WriteAsync(new JournalWrite(stream, 4, [4]));
        Assert.Equal([3, 4], (await journal.ReadAsync(stream)).Select(r => r.Sequence));
    }

    [Fact]
    public async Task Export_streams_records_with_payloads_entity_by_entity_and_only_the_given_organization()
    {
        var db = await NewDatabaseAsync("journal_export");
        await using var journal = Journal(db);
        foreach (var (id, org, at) in new[] { ("b", "org-a", At.AddSeconds(2)), ("a", "org-a", At), ("c", "org-b", At.AddSeconds(1)) })
        {
            var row = new EntityIndexRow { Kind = JournalStreams.CallKind, Source = "verbex", EntityId = id, Status = "Started", OrganizationId = org, FirstReceivedAt = at, LastReceivedAt = at };
            await journal.WriteAsync(new JournalWrite($"call|verbex/{id}", 1, [1], Encoding.UTF8.GetBytes($"\"{id}1\""), row));
            await journal.WriteAsync(new JournalWrite($"call|verbex/{id}", 2, [2], Encoding.UTF8.GetBytes($"\"{id}2\"")));
        }

        var all = new List<string>();
        await foreach (var record in journal.ExportAsync(new ExportQuery()))
        {
            all.Add(Encoding.UTF8.GetString(record.Record.Payload!.Value.Span));
        }

        Assert.Equal(["\"a1\"", "\"a2\"", "\"c1\"", "\"c2\"", "\"b1\"", "\"b2\""], all);
        var tenant = new List<string>();
        await foreach (var record in journal.ExportAsync(new ExportQuery { OrganizationId = "org-a", Since = At.AddSeconds(1) }))
        {
            tenant.Add(record.Stream);
        }

        Assert.Equal(["call|verbex/b", "call|verbex/b"], tenant);
    }

    private async Task<string> NewDatabaseAsync(string name)
    {
        var db = await postgres.Server.CreateDatabaseAsync(name);
        await PostgresSchema.ApplyAsync(db);
        return db;
    }

    private static PostgresJournal Journal(string connectionString) =>
        new(new PostgresDurabilityDataSource(connectionString), NullLogger<PostgresJournal>.Instance, TimeProvider.System);

    private static async Task<Exception?> Try(Task write)
    {
        try
        {
            await write;
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
