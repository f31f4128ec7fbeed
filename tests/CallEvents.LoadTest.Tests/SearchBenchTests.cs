using CallEvents.LoadTest.Bench;

namespace CallEvents.LoadTest.Tests;

/// <summary>The <c>search</c> command end to end on a small store: every list query answers, every page walk is whole.</summary>
public sealed class SearchBenchTests
{
    [Fact]
    public async Task The_search_command_stores_times_every_query_and_walks_every_page_once()
    {
        var report = await SearchBench.RunAsync(new SearchBench.Settings(300, 30, 3, 32, "auto", 5, Path.GetTempPath(), Progress: false), TextWriter.Null, CancellationToken.None);

        Assert.Equal(300, report.Calls);
        Assert.Equal(30, report.Workflows);
        Assert.True(report.Walk.Passed, SearchBench.Table(report));
        Assert.Equal(300, report.Walk.Found);
        Assert.Equal(30, report.Walk.Workflows!.Found);
        Assert.True(report.Queries.Count >= 8);
        Assert.All(report.Queries, q => Assert.True(q.Items > 0 && q.Samples == 3, $"{q.Name}: {q.Items} items"));
        Assert.Contains("| calls: first page | 50 |", SearchBench.Table(report), StringComparison.Ordinal);
    }
}
