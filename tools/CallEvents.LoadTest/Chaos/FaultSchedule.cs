using System.Globalization;

namespace CallEvents.LoadTest.Chaos;

/// <summary>What a fault does.</summary>
public enum FaultAction
{
    /// <summary>SIGKILL a silo process: it vanishes without leaving the cluster.</summary>
    Kill,

    /// <summary>SIGTERM a silo process: it shuts down gracefully and leaves the cluster.</summary>
    Term,

    /// <summary>Start a stopped or killed silo again on its ports.</summary>
    Restart,

    /// <summary>Stop PostgreSQL (<c>pg_ctl stop -m fast</c>).</summary>
    PgStop,

    /// <summary>Start PostgreSQL again.</summary>
    PgStart,
}

/// <summary>One fault: at <see cref="Second"/> of the run, <see cref="Action"/> on <see cref="Silo"/> (1-based; 0 for PostgreSQL).</summary>
public sealed record Fault(double Second, FaultAction Action, int Silo)
{
    public override string ToString() => Action switch
    {
        FaultAction.PgStop => string.Create(CultureInfo.InvariantCulture, $"{Second:0.#}:pg-stop"),
        FaultAction.PgStart => string.Create(CultureInfo.InvariantCulture, $"{Second:0.#}:pg-start"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Second:0.#}:{Action.ToString().ToLowerInvariant()}:{Silo}"),
    };
}

/// <summary>
/// The faults of a chaos run, written <c>SECONDS:ACTION[:SILO]</c> and comma-separated, e.g.
/// <c>10:kill:2,25:restart:2,40:term:3,50:restart:3,60:pg-stop,70:pg-start</c>. Actions: <c>kill</c> (SIGKILL),
/// <c>term</c> (SIGTERM), <c>restart</c> (a silo), <c>pg-stop</c>, <c>pg-start</c>.
/// </summary>
public static class FaultSchedule
{
    /// <summary>The default, for a 90 s run of 3 silos: one of each fault, far enough apart to see each one's effect.</summary>
    public const string Default = "10:kill:2,25:restart:2,40:term:3,50:restart:3,60:pg-stop,70:pg-start";

    /// <summary>Parses and checks a schedule against the number of silos; the faults in time order, or an error.</summary>
    public static IReadOnlyList<Fault> Parse(string text, int silos, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        var faults = new List<Fault>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split(':');
            if (parts.Length is < 2 or > 3
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var second) || second < 0)
            {
                error = $"--faults expects SECONDS:ACTION[:SILO], not '{item}'";
                return [];
            }

            FaultAction? action = parts[1].ToLowerInvariant() switch
            {
                "kill" => FaultAction.Kill,
                "term" => FaultAction.Term,
                "restart" => FaultAction.Restart,
                "pg-stop" => FaultAction.PgStop,
                "pg-start" => FaultAction.PgStart,
                _ => null,
            };
            if (action is not { } a)
            {
                error = $"--faults: unknown action '{parts[1]}' in '{item}' (kill, term, restart, pg-stop, pg-start)";
                return [];
            }

            var onSilo = a is FaultAction.Kill or FaultAction.Term or FaultAction.Restart;
            var silo = 0;
            if (onSilo != (parts.Length == 3)
                || (onSilo && (!int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out silo) || silo < 1 || silo > silos)))
            {
                error = onSilo
                    ? $"--faults: '{item}' must name a silo from 1 to {silos}"
                    : $"--faults: '{item}' names no silo (PostgreSQL is one server)";
                return [];
            }

            faults.Add(new Fault(second, a, silo));
        }

        // Replay the schedule: a silo is killed or stopped only while up, restarted only while down, and one always stays up.
        var up = Enumerable.Repeat(true, silos + 1).ToArray();
        var pgUp = true;
        foreach (var f in faults.OrderBy(f => f.Second))
        {
            var wrong = f.Action switch
            {
                FaultAction.Kill or FaultAction.Term when !up[f.Silo] => $"silo {f.Silo} is already down",
                FaultAction.Kill or FaultAction.Term when up.Skip(1).Count(u => u) == 1 => "it is the last silo up",
                FaultAction.Restart when up[f.Silo] => $"silo {f.Silo} is up",
                FaultAction.PgStop when !pgUp => "PostgreSQL is already stopped",
                FaultAction.PgStart when pgUp => "PostgreSQL is running",
                _ => null,
            };
            if (wrong is not null)
            {
                error = $"--faults: '{f}' cannot happen: {wrong} then";
                return [];
            }

            switch (f.Action)
            {
                case FaultAction.Kill or FaultAction.Term: up[f.Silo] = false; break;
                case FaultAction.Restart: up[f.Silo] = true; break;
                case FaultAction.PgStop: pgUp = false; break;
                case FaultAction.PgStart: pgUp = true; break;
            }
        }

        return [.. faults.OrderBy(f => f.Second)];
    }
}
