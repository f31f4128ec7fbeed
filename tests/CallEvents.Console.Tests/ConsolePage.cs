namespace CallEvents.ConsoleTests;

/// <summary>A browser page on the console, recording the errors the page reports (script errors, CSP refusals).</summary>
public sealed class ConsolePage
{
    private readonly List<string> _errors = [];

    private ConsolePage(IPage page, ConsoleHost host)
    {
        Page = page;
        Host = host;
        page.PageError += (_, error) => _errors.Add($"page error: {error}");
        page.Console += (_, message) =>
        {
            // The browser logs every non-2xx fetch as "Failed to load resource"; those answers are part of the tests.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _errors.Add($"console: {message.Text}");
            }
        };
    }

    public IPage Page { get; }

    public ConsoleHost Host { get; }

    /// <summary>Script errors and CSP violations the page reported so far.</summary>
    public IReadOnlyList<string> Errors => _errors;

    public static async Task<ConsolePage> OpenAsync(BrowserFixture browser, ConsoleHost host, int width = 1280, int height = 900)
    {
        var page = new ConsolePage(await browser.NewPageAsync(width, height), host);
        await page.Page.GotoAsync(host.ConsoleUrl);
        return page;
    }

    public ILocator ByTestId(string id) => Page.GetByTestId(id);

    /// <summary>The list row of an entity (by its key).</summary>
    public ILocator Row(string key) => Page.Locator($"[data-testid=row][data-key=\"{key}\"]");

    /// <summary>A timeline entry by its event name.</summary>
    public ILocator Event(string eventName) => Page.Locator($"[data-testid=event][data-event-name=\"{eventName}\"]");

    public async Task SignInAsync(string key = ConsoleHost.OperatorKey)
    {
        await SubmitKeyAsync(key);
        await Expect(ByTestId("signin-form")).ToBeHiddenAsync();
    }

    public async Task SubmitKeyAsync(string key)
    {
        await ByTestId("key-input").FillAsync(key);
        await ByTestId("sign-in").ClickAsync();
    }

    /// <summary>Goes to a route of the console (the part after '#').</summary>
    public Task GoAsync(string route) => Page.EvaluateAsync("route => { location.hash = route; }", route);

    /// <summary>The page is no wider than the viewport: nothing scrolls sideways.</summary>
    public async Task AssertNoHorizontalScrollAsync()
    {
        var widths = await Page.EvaluateAsync<int[]>(
            "() => [document.documentElement.scrollWidth, document.body.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(widths[0] <= widths[2] && widths[1] <= widths[2], $"page {widths[0]} px and body {widths[1]} px wide in a {widths[2]} px viewport");
    }

    public void AssertNoErrors() => Assert.Empty(_errors);

    public async Task CloseAsync() => await Page.Context.CloseAsync();
}
