namespace CallEvents.ConsoleTests;

/// <summary>
/// The system Chromium driven by Playwright (its own browser download is not used), and one host for the tests that
/// share it. Each test opens its own browser context, so session storage (the signed-in key) starts empty.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public ConsoleHost Console { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium package (apt-get install -y chromium); .ci/run does.");
        }

        // A shared two-core machine: give the page's own waits more room than Playwright's five-second default (the whole suite runs beside it).
        SetDefaultExpectTimeout(45_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Console = await ConsoleHost.StartAsync();
    }

    /// <summary>A fresh page at <paramref name="width"/> × <paramref name="height"/> CSS pixels.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(45_000);
        var page = await context.NewPageAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Console is not null)
        {
            await Console.DisposeAsync();
        }

        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
