using System.Net;
using System.Text.RegularExpressions;
using CallEvents.Samples;

namespace CallEvents.ConsoleTests;

/// <summary>The operator console in Chromium against a real host: what an operator does with it, end to end.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleTests(BrowserFixture browser)
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 30, 0, TimeSpan.Zero);

    private ConsoleHost Console => browser.Console;

    [Fact]
    public async Task An_operator_signs_in_filters_opens_a_call_retries_its_failed_callback_and_erases_it()
    {
        var callId = $"call_{Guid.NewGuid():N}";
        var key = $"subverse/{callId}";
        var queued = SampleEvents.Create(EventKind.SubVerseInQueue, callId, T0);
        await Console.PostAsync(queued);
        await Console.PostAsync(SampleEvents.Create(EventKind.SubVerseCompleted, callId, T0.AddMinutes(2)));
        // Placed happened before completed but arrives after it: late. The queued delivery is retried: a duplicate.
        await Console.PostAsync(SampleEvents.Create(EventKind.SubVersePlaced, callId, T0.AddSeconds(10)));
        await Console.PostAsync(queued);
        var other = SampleEvents.Create(EventKind.VerbexCallStarted, null, T0);
        await Console.PostAsync(other);
        await Console.WaitForActionAsync(key, "Failed");

        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SubmitKeyAsync("not-the-operator-key-0000");
        await Expect(console.ByTestId("signin-message")).ToContainTextAsync("refused");
        await console.SignInAsync();
        await Expect(console.Row(key)).ToBeVisibleAsync();
        await Expect(console.Row(other.Key)).ToBeVisibleAsync();

        await console.ByTestId("filter-source").SelectOptionAsync("subverse");
        await console.ByTestId("filter-status").SelectOptionAsync("PcaReady");
        await console.ByTestId("filter-apply").ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex("#/calls\\?source=subverse&status=PcaReady$"));
        await Expect(console.Row(other.Key)).ToHaveCountAsync(0);
        await console.Row(key).GetByTestId("open").ClickAsync();

        await Expect(console.ByTestId("entity-title")).ToContainTextAsync(key);
        await Expect(console.ByTestId("snapshot-status")).ToHaveTextAsync("PcaReady");
        await Expect(console.ByTestId("event-name")).ToHaveTextAsync(["call.in_queue", "call.placed", "call.completed"]);
        await Expect(console.Event("call.placed").GetByTestId("late")).ToBeVisibleAsync();
        await Expect(console.Event("call.completed").GetByTestId("late")).ToHaveCountAsync(0);
        await Expect(console.Event("call.in_queue").GetByTestId("duplicates")).ToHaveTextAsync("1 duplicate");
        await console.Event("call.completed").GetByTestId("payload").Locator("summary").ClickAsync();
        var payload = console.Event("call.completed").GetByTestId("payload-json");
        await Expect(payload).ToContainTextAsync($"\"callId\": \"{callId}\"");
        await Expect(payload).ToContainTextAsync("\"sentiment\": \"positive\"");

        var action = console.ByTestId("action");
        await Expect(action.GetByTestId("action-status")).ToHaveTextAsync("Failed");
        await Expect(action.GetByTestId("attempt")).ToHaveCountAsync(2);
        await Expect(action.GetByTestId("action-cancel")).ToHaveCountAsync(0);
        Console.Receiver.Succeed(key);
        await action.GetByTestId("action-retry").ClickAsync();
        await Expect(action.GetByTestId("action-status")).ToHaveTextAsync("Succeeded");
        await Expect(action.GetByTestId("attempt")).ToHaveCountAsync(3);
        await Expect(console.ByTestId("entity-message")).ToContainTextAsync("Succeeded");
        Assert.Equal([500, 500, 200], Console.Receiver.AnsweredFor(key));

        await console.ByTestId("erase").ClickAsync();
        await Expect(console.ByTestId("erase-dialog")).ToBeVisibleAsync();
        await console.ByTestId("erase-cancel").ClickAsync();
        await Expect(console.ByTestId("erase-dialog")).ToBeHiddenAsync();
        await Expect(console.ByTestId("entity-title")).ToBeVisibleAsync();
        await console.ByTestId("erase").ClickAsync();
        await console.ByTestId("erase-confirm").ClickAsync();
        await Expect(console.ByTestId("flash")).ToHaveTextAsync($"Erased {key}.");
        await Expect(console.ByTestId("filter-status")).ToHaveValueAsync("PcaReady");
        await Expect(console.Row(key)).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.NotFound, (await Console.GetAsync($"/calls/{key}")).StatusCode);

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task A_scheduled_callback_is_cancelled_from_the_call_page()
    {
        var callId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..24];
        var key = $"verbex/{callId}";
        await Console.PostAsync(SampleEvents.Create(EventKind.VerbexCallStarted, callId, T0));
        await Console.PostAsync(SampleEvents.Create(EventKind.VerbexCallEnded, callId, T0.AddMinutes(4)));
        await Console.PostAsync(SampleEvents.Create(EventKind.VerbexPcaCompleted, callId, T0.AddMinutes(5)));
        await Console.WaitForActionAsync(key, "Scheduled");

        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();
        await console.GoAsync($"/calls/{key}");
        var action = console.ByTestId("action");
        await Expect(action.GetByTestId("action-status")).ToHaveTextAsync("Scheduled");
        await Expect(action.GetByTestId("action-retry")).ToHaveCountAsync(0);
        await action.GetByTestId("action-cancel").ClickAsync();
        await Expect(action.GetByTestId("action-status")).ToHaveTextAsync("Cancelled");
        await Expect(action.GetByTestId("action-cancel")).ToHaveCountAsync(0);
        await Expect(console.ByTestId("entity-message")).ToContainTextAsync("Cancelled");
        Assert.Empty(Console.Receiver.AnsweredFor(key));

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task A_workflow_execution_opens_from_its_list_with_its_own_snapshot()
    {
        var executionId = $"exec_{Guid.NewGuid():N}";
        await Console.PostAsync(SampleEvents.Create(EventKind.WorkflowInQueue, executionId, T0));
        await Console.PostAsync(SampleEvents.Create(EventKind.WorkflowStarted, executionId, T0.AddSeconds(5)));
        await Console.PostAsync(SampleEvents.Create(EventKind.WorkflowFailed, executionId, T0.AddMinutes(1)));

        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();
        await console.ByTestId("tab-workflows").ClickAsync();
        await console.Row($"subverse/{executionId}").GetByTestId("open").ClickAsync();
        await Expect(console.ByTestId("entity-title")).ToContainTextAsync(executionId);
        await Expect(console.ByTestId("snapshot-status")).ToHaveTextAsync("Failed");
        await Expect(console.ByTestId("snapshot-facts")).ToContainTextAsync("node_3 timed out");
        await Expect(console.ByTestId("event")).ToHaveCountAsync(3);

        // No callback rule answers workflow emissions on this host.
        await Expect(console.ByTestId("no-follow-ups")).ToBeVisibleAsync();
        await console.ByTestId("back").ClickAsync();
        await Expect(console.ByTestId("tab-workflows")).ToHaveAttributeAsync("aria-current", "page");

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task Empty_and_not_found_states_say_so()
    {
        var placedOnly = SampleEvents.Create(EventKind.SubVersePlaced, null, T0);
        await Console.PostAsync(placedOnly);
        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();

        await console.GoAsync($"/calls?organizationId=no-such-org-{Guid.NewGuid():N}");
        await Expect(console.ByTestId("empty")).ToHaveTextAsync(new Regex("^No calls match these filters\\."));

        await console.GoAsync($"/calls/subverse/never-{Guid.NewGuid():N}");
        await Expect(console.ByTestId("not-found")).ToContainTextAsync("It was never received, or it was erased.");
        await Expect(console.ByTestId("erase")).ToBeHiddenAsync();

        await console.GoAsync($"/calls/{placedOnly.Key}");
        await Expect(console.ByTestId("no-follow-ups")).ToBeVisibleAsync();
        await Expect(console.ByTestId("missing-phase")).ToHaveTextAsync(new Regex("^Queued"));

        // A service that has stored nothing yet (this host has): the list's answer as such a service gives it.
        await console.Page.RouteAsync(url => new Uri(url).AbsolutePath == "/calls", route => route.FulfillAsync(new()
        {
            Status = 200,
            ContentType = "application/json",
            Body = """{"items":[],"nextCursor":null}""",
        }));
        await console.GoAsync("/calls");
        await Expect(console.ByTestId("empty")).ToContainTextAsync("No calls yet.");

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task A_refused_key_sends_the_operator_back_to_sign_in_and_sign_out_forgets_the_key()
    {
        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();
        await Expect(console.ByTestId("filters")).ToBeVisibleAsync();

        // As if the key had been revoked while the page was open.
        await console.Page.EvaluateAsync("() => sessionStorage.setItem('callevents.operatorKey', 'revoked-operator-key-0000')");
        await console.ByTestId("tab-workflows").ClickAsync();
        await Expect(console.ByTestId("signin-form")).ToBeVisibleAsync();
        await Expect(console.ByTestId("signin-message")).ToContainTextAsync("(401)");
        Assert.Null(await console.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('callevents.operatorKey')"));

        await console.SignInAsync();
        await Expect(console.ByTestId("tab-workflows")).ToHaveAttributeAsync("aria-current", "page");
        await console.ByTestId("sign-out").ClickAsync();
        await Expect(console.ByTestId("signin-message")).ToHaveTextAsync("Signed out.");
        Assert.Null(await console.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('callevents.operatorKey')"));

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task A_busy_service_is_retried_until_it_answers()
    {
        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();
        await Expect(console.ByTestId("filters")).ToBeVisibleAsync();

        var refusals = 0;
        await console.Page.RouteAsync(url => new Uri(url).AbsolutePath == "/calls", async route =>
        {
            if (Interlocked.Increment(ref refusals) <= 2)
            {
                await route.FulfillAsync(new()
                {
                    Status = 503,
                    Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                    ContentType = "application/problem+json",
                    Body = """{"title":"Temporarily unavailable","status":503,"detail":"The grain did not answer in time."}""",
                });
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await console.ByTestId("filter-apply").ClickAsync();
        await Expect(console.ByTestId("banner-busy")).ToContainTextAsync("The service is busy, retrying");
        await Expect(console.ByTestId("banner")).ToBeHiddenAsync();
        await Expect(console.ByTestId("list").Or(console.ByTestId("empty"))).ToBeVisibleAsync();
        Assert.True(refusals >= 3);

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task Pages_go_forward_and_back_and_the_live_list_shows_new_calls_until_paused()
    {
        var organization = $"org-{Guid.NewGuid():N}";
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var sample = SampleEvents.Create(EventKind.VerbexCallStarted, null, T0.AddMinutes(i), organization);
            await Console.PostAsync(sample);
            keys.Add(sample.Key);
        }

        var console = await ConsolePage.OpenAsync(browser, Console);
        await console.SignInAsync();
        await console.GoAsync($"/calls?organizationId={organization}&limit=2");
        var rows = console.ByTestId("row");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.First).ToHaveAttributeAsync("data-key", keys[2]);
        await console.ByTestId("page-next").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-key", keys[0]);
        await Expect(console.ByTestId("page-next")).ToBeDisabledAsync();
        await Expect(console.ByTestId("page-label")).ToHaveTextAsync("Page 2");
        await console.ByTestId("page-previous").ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);

        var live = SampleEvents.Create(EventKind.VerbexCallStarted, null, T0.AddMinutes(3), organization);
        await Console.PostAsync(live);
        await Expect(rows.First).ToHaveAttributeAsync("data-key", live.Key);

        var toggle = console.ByTestId("live-toggle");
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(toggle).ToHaveTextAsync("Paused");
        await toggle.ClickAsync();
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");

        console.AssertNoErrors();
        await console.CloseAsync();
    }

    [Fact]
    public async Task At_360_pixels_the_list_and_a_call_fit_the_screen()
    {
        var callId = $"call_{Guid.NewGuid():N}{Guid.NewGuid():N}";
        await Console.PostAsync(SampleEvents.Create(EventKind.SubVerseInQueue, callId, T0));
        await Console.PostAsync(SampleEvents.Create(EventKind.SubVerseCompleted, callId, T0.AddMinutes(3)));
        await Console.WaitForActionAsync($"subverse/{callId}", "Failed");

        var console = await ConsolePage.OpenAsync(browser, Console, width: 360, height: 780);
        await console.AssertNoHorizontalScrollAsync();
        await console.SignInAsync();
        await Expect(console.Row($"subverse/{callId}")).ToBeVisibleAsync();
        await console.AssertNoHorizontalScrollAsync();

        await console.Row($"subverse/{callId}").GetByTestId("open").ClickAsync();
        await console.Event("call.completed").GetByTestId("payload").Locator("summary").ClickAsync();
        await Expect(console.Event("call.completed").GetByTestId("payload-json")).ToBeVisibleAsync();
        await Expect(console.ByTestId("attempt")).ToHaveCountAsync(2);
        await console.AssertNoHorizontalScrollAsync();

        console.AssertNoErrors();
        await console.CloseAsync();
    }
}
