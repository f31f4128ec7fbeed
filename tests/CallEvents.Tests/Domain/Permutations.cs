namespace CallEvents.Tests.Domain;

internal static class Permutations
{
    public static IEnumerable<T[]> Of<T>(IReadOnlyList<T> items)
    {
        if (items.Count <= 1)
        {
            yield return [.. items];
            yield break;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var rest = items.Where((_, j) => j != i).ToList();
            foreach (var tail in Of(rest))
            {
                yield return [items[i], .. tail];
            }
        }
    }
}
