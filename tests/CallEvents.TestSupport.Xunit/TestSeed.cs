using System.Globalization;
using Xunit.Abstractions;

namespace CallEvents.TestSupport;

/// <summary>
/// The seed of a randomized test: taken from <see cref="Variable"/> when set (to replay a failure), otherwise new each
/// run, and always written to the test's output, which xunit shows when the test fails.
/// </summary>
public static class TestSeed
{
    /// <summary>The environment variable that fixes every randomized test's seed, e.g. <c>CALLEVENTS_TEST_SEED=12345</c>.</summary>
    public const string Variable = "CALLEVENTS_TEST_SEED";

    /// <summary>
    /// Chooses the seed and writes it to <paramref name="output"/>. A test-specific variable, when given and set, wins
    /// over <see cref="Variable"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A seed variable is set but is not an integer.</exception>
    public static int Choose(ITestOutputHelper output, string? specificVariable = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var name in new[] { specificVariable, Variable })
        {
            if (name is null || Environment.GetEnvironmentVariable(name) is not { Length: > 0 } text)
            {
                continue;
            }

            // A typo must not silently turn a replay into a new random run.
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var fixedSeed))
            {
                throw new InvalidOperationException($"{name}={text} is not an integer seed.");
            }

            output.WriteLine($"seed {fixedSeed} (from {name})");
            return fixedSeed;
        }

        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed} (replay: {Variable}={seed})");
        return seed;
    }
}
