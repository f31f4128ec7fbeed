namespace CallEvents.Ingress;

/// <summary>Webhook ingress settings (configuration section <c>Ingress</c>).</summary>
public sealed class IngressOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Ingress";

    /// <summary>Largest request body accepted, in bytes (default 1 MiB); larger bodies get 413.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How long a delivery may wait for its grain (default 4 s). SubVerse gives up after 5 s, so the answer
    /// (503 when the deadline passes) must come before that.
    /// </summary>
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The <c>Retry-After</c> seconds sent with 503 answers (default 5).</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// Comma-separated headers that carry a per-delivery id for SubVerse, checked in order; without one the
    /// body's SHA-256 is the dedup key. Default: <c>webhook-id,X-Webhook-Id</c>. Empty: always hash the body.
    /// </summary>
    public string SubVerseDeliveryIdHeaders { get; set; } = "webhook-id,X-Webhook-Id";

    /// <summary><see cref="SubVerseDeliveryIdHeaders"/> as a list.</summary>
    public IReadOnlyList<string> DeliveryIdHeaderList() =>
        SubVerseDeliveryIdHeaders.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
