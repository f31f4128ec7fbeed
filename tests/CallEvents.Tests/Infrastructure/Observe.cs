namespace CallEvents.Tests.Infrastructure;

/// <summary>
/// Checks that something stays true for a window (e.g. "no second callback arrives"): the one kind of
/// assertion that has to watch the clock, because it is about nothing happening.
/// </summary>
public static class Observe
{
    public static async Task StaysTrueAsync(Func<bool> condition, TimeSpan window, string what)
    {
        var until = DateTimeOffset.UtcNow + window;
        while (DateTimeOffset.UtcNow < until)
        {
            Assert.True(condition(), $"expected to stay true for {window}: {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        Assert.True(condition(), $"expected to stay true for {window}: {what}");
    }
}
