using System.Reflection;
using CallEvents.Samples;

namespace CallEvents.ConsoleTests;

/// <summary>
/// The README's picture of the console: the list and a call page at a desktop width, side by side in one PNG. Written
/// next to the test assembly on every run, and to docs/console.png with CALLEVENTS_WRITE_SCREENSHOT=1.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ScreenshotTests(BrowserFixture browser)
{
    public const string WriteVariable = "CALLEVENTS_WRITE_SCREENSHOT";

    [Fact]
    public async Task Screenshot_of_the_list_and_a_call_page_at_a_desktop_width_which_they_fit()
    {
        // A host of its own, so the picture shows only the calls made here.
        await using var host = await ConsoleHost.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-20);
        var shown = "call_8f3a61c2d4e7";
        var queued = SampleEvents.Create(EventKind.SubVerseInQueue, shown, start);
        await host.PostAsync(queued);
        await host.PostAsync(SampleEvents.Create(EventKind.SubVerseCompleted, shown, start.AddMinutes(3).AddSeconds(12)));
        await host.PostAsync(SampleEvents.Create(EventKind.SubVersePlaced, shown, start.AddSeconds(38)));
        await host.PostAsync(queued);
        await host.WaitForActionAsync($"subverse/{shown}", "Failed");

        await SendCallAsync(host, EventKind.SubVerseErrored, "call_51d09e7b3a26", start.AddMinutes(2));
        await SendCallAsync(host, EventKind.SubVersePlaced, "call_c6e2f80a9b14", start.AddMinutes(6));
        var verbex = "690852542548d87bb5238118";
        await host.PostAsync(SampleEvents.Create(EventKind.VerbexCallStarted, verbex, start.AddMinutes(8)));
        await host.PostAsync(SampleEvents.Create(EventKind.VerbexCallEnded, verbex, start.AddMinutes(11)));
        await host.PostAsync(SampleEvents.Create(EventKind.VerbexPcaCompleted, verbex, start.AddMinutes(12)));
        var mixed = "6908a11f42c9d0e3b7a45c21";
        await host.PostAsync(SampleEvents.Create(EventKind.VerbexCallStarted, mixed, start.AddMinutes(13)));
        await host.PostAsync(SampleEvents.Create(EventKind.VerbexCallEnded, mixed, start.AddMinutes(15), "7c41e2d0-5b8a-4f36-9e1d-2a6b8c0f4d93"));

        var console = await ConsolePage.OpenAsync(browser, host, width: 1280, height: 760);
        await console.SignInAsync();
        await Expect(console.ByTestId("row")).ToHaveCountAsync(5);
        await console.AssertNoHorizontalScrollAsync();
        var list = await console.Page.ScreenshotAsync(new() { FullPage = true });

        await console.Row($"subverse/{shown}").GetByTestId("open").ClickAsync();
        host.Receiver.Succeed($"subverse/{shown}");
        await console.ByTestId("action-retry").ClickAsync();
        await Expect(console.ByTestId("action-status")).ToHaveTextAsync("Succeeded");
        await console.Event("call.completed").GetByTestId("payload").Locator("summary").ClickAsync();
        await Expect(console.Event("call.completed").GetByTestId("payload-json")).ToBeVisibleAsync();
        await console.Page.Mouse.MoveAsync(0, 0);
        await console.AssertNoHorizontalScrollAsync();
        var call = await console.Page.ScreenshotAsync(new() { FullPage = true });
        console.AssertNoErrors();
        await console.CloseAsync();

        var picture = await ComposeAsync(list, call);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], picture[..4]);
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "console.png"), picture);
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            await File.WriteAllBytesAsync(Path.Combine(RepositoryRoot(), "docs", "console.png"), picture);
        }
    }

    private static async Task SendCallAsync(ConsoleHost host, EventKind last, string callId, DateTimeOffset at)
    {
        await host.PostAsync(SampleEvents.Create(EventKind.SubVerseInQueue, callId, at));
        if (last != EventKind.SubVersePlaced)
        {
            await host.PostAsync(SampleEvents.Create(EventKind.SubVersePlaced, callId, at.AddSeconds(20)));
        }

        await host.PostAsync(SampleEvents.Create(last, callId, at.AddSeconds(95)));
    }

    /// <summary>The two screenshots side by side with captions, drawn by the same browser.</summary>
    private async Task<byte[]> ComposeAsync(byte[] list, byte[] call)
    {
        var page = await browser.NewPageAsync(1600, 400);
        await page.SetContentAsync($$"""
            <!doctype html>
            <style>
              body { margin: 0; padding: 16px; background: #dfe5ec; font: 15px system-ui, "DejaVu Sans", sans-serif; color: #1c2630; }
              .row { display: flex; gap: 16px; align-items: flex-start; }
              figure { margin: 0; width: 776px; }
              img { width: 776px; display: block; border-radius: 6px; box-shadow: 0 2px 10px rgb(0 0 0 / .18); }
              figcaption { margin: 0 0 6px; font-weight: 600; }
            </style>
            <div class="row">
              <figure><figcaption>/console: calls, filters, live refresh</figcaption><img src="data:image/png;base64,{{Convert.ToBase64String(list)}}"></figure>
              <figure><figcaption>A call: snapshot, timeline with raw payloads, follow-ups</figcaption><img src="data:image/png;base64,{{Convert.ToBase64String(call)}}"></figure>
            </div>
            """);
        var picture = await page.ScreenshotAsync(new() { FullPage = true });
        await page.Context.CloseAsync();
        return picture;
    }

    private static string RepositoryRoot() =>
        typeof(ScreenshotTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CallEvents.RepositoryRoot").Value!;
}
