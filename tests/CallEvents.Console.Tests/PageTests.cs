using System.Net;

namespace CallEvents.ConsoleTests;

/// <summary>What the host serves at /console, over plain HTTP.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PageTests(BrowserFixture browser)
{
    private static readonly string[] Files = ["index.html", "app.js", "api.js", "dom.js", "list.js", "entity.js", "signin.js", "console.css", "favicon.svg"];

    private HttpClient Http => browser.Console.Host.Http;

    [Fact]
    public async Task The_page_is_served_without_a_key_under_a_policy_that_allows_only_its_own_scripts()
    {
        using var page = await Http.GetAsync("/console");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());

        // The API the page calls stays closed without the key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await Http.GetAsync("/calls")).StatusCode);
    }

    [Fact]
    public async Task Every_file_is_the_console_s_own_with_no_inline_script_no_external_asset_and_no_html_parsing()
    {
        foreach (var file in Files)
        {
            using var response = await Http.GetAsync($"/console/{file}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotNull(response.Headers.ETag);
            var text = await response.Content.ReadAsStringAsync();

            // Links to the outside world would be external assets (a CDN): only the SVG's XML namespace names one.
            Assert.DoesNotMatch(file == "favicon.svg" ? "https?://(?!www\\.w3\\.org/2000/svg)" : "https?://", text);
            if (file.EndsWith(".js", StringComparison.Ordinal))
            {
                // Values from the service (and so from webhook senders) must never be parsed as HTML.
                Assert.DoesNotMatch("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|eval\\(|new Function", text);
            }
        }

        var html = await Http.GetStringAsync("/console");
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)", html);
        Assert.DoesNotMatch("\\sstyle=|\\son[a-z]+=", html);
    }

    [Fact]
    public async Task A_revalidation_of_an_unchanged_file_is_answered_not_modified_and_unknown_files_are_404()
    {
        using var first = await Http.GetAsync("/console/app.js");
        using var again = new HttpRequestMessage(HttpMethod.Get, "/console/app.js");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        Assert.Equal(HttpStatusCode.NotModified, (await Http.SendAsync(again)).StatusCode);
        using var missing = await Http.GetAsync("/console/missing.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        using var trailing = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = browser.Console.Host.BaseAddress }.GetAsync("/console/");
        Assert.Equal("/console", trailing.Headers.Location?.OriginalString);
    }
}
