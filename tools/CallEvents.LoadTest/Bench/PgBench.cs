using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace CallEvents.LoadTest.Bench;

/// <summary>pgbench's figures for the single-row upsert script.</summary>
public sealed record PgBenchResult(double Tps, double LatencyAverageMs, long Transactions, string Command, string Script);

/// <summary>
/// Runs <c>pgbench</c> with a custom script doing one single-row upsert (<c>INSERT … ON CONFLICT (id) DO
/// UPDATE</c>) per transaction: what PostgreSQL alone can do on this machine for the simplest durable write.
/// </summary>
public static partial class PgBench
{
    public const string Script = """
        \set id random(1, 1000000)
        INSERT INTO bench_upsert (id, n, updated_at) VALUES (:id, 1, now()) ON CONFLICT (id) DO UPDATE SET n = bench_upsert.n + 1, updated_at = now();
        """;

    /// <summary>pgbench on PATH or under /usr/lib/postgresql/*/bin, or null.</summary>
    public static string? Find()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "pgbench"))
            .FirstOrDefault(File.Exists);
        if (onPath is not null)
        {
            return onPath;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pgbench")).Where(File.Exists).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
    }

    public static async Task<PgBenchResult> RunAsync(string pgbench, string connectionString, int clients, int threads, int seconds, string workDirectory)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_upsert (id integer PRIMARY KEY, n bigint NOT NULL, updated_at timestamptz NOT NULL)", connection);
            await create.ExecuteNonQueryAsync();
        }

        Directory.CreateDirectory(workDirectory);
        var scriptPath = Path.Combine(workDirectory, "upsert.sql");
        await File.WriteAllTextAsync(scriptPath, Script + "\n");
        string[] arguments =
        [
            "-n", "-f", scriptPath,
            "-c", clients.ToString(CultureInfo.InvariantCulture),
            "-j", threads.ToString(CultureInfo.InvariantCulture),
            "-T", seconds.ToString(CultureInfo.InvariantCulture),
            "-h", builder.Host ?? "127.0.0.1",
            "-p", builder.Port.ToString(CultureInfo.InvariantCulture),
            "-U", builder.Username ?? "postgres",
            builder.Database ?? "postgres",
        ];
        var start = new ProcessStartInfo(pgbench) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (!string.IsNullOrEmpty(builder.Password))
        {
            start.Environment["PGPASSWORD"] = builder.Password;
        }

        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {pgbench}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output + await error;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench exited with {process.ExitCode}: {text}");
        }

        var tps = TpsLine().Match(text);
        if (!tps.Success)
        {
            throw new InvalidOperationException($"no tps in pgbench output: {text}");
        }

        var latency = LatencyLine().Match(text);
        var transactions = TransactionsLine().Match(text);
        return new PgBenchResult(
            double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            latency.Success ? double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            transactions.Success ? long.Parse(transactions.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            $"pgbench {string.Join(' ', arguments.Select(a => a == scriptPath ? "upsert.sql" : a))}",
            Script);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex TransactionsLine();
}
