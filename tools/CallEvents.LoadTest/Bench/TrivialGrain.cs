namespace CallEvents.LoadTest.Bench;

/// <summary>
/// The ceiling subject: a grain with the call grain's ingest signature that does nothing. Driven by the same workload
/// through the same target (bodies generated, parsed by the real adapters, keyed by entity, so a new activation comes
/// every few calls as with real calls), it leaves what the silo and the harness cost without the service's work.
/// </summary>
public interface ITrivialGrain : IGrainWithStringKey
{
    Task<IngestResult> IngestAsync(IncomingEvent incoming);
}

/// <inheritdoc cref="ITrivialGrain"/>
public sealed class TrivialGrain : Grain, ITrivialGrain
{
    private static readonly IngestResult Accepted = new(IngestStatus.Accepted, 0);

    public Task<IngestResult> IngestAsync(IncomingEvent incoming) => Task.FromResult(Accepted);
}
