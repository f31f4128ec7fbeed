namespace CallEvents.Journal;

/// <summary>
/// The sequence number a write asked for is already taken: another activation of the same grain wrote first (a brief
/// split brain after a silo failure). Nothing of this write was stored; the grain must reload its stream.
/// </summary>
[GenerateSerializer, Alias("callevents.JournalConflictException")]
public sealed class JournalConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalConflictException()
        : base("The journal stream was written by another activation.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public JournalConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public JournalConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The journal's storage failed (unreachable, timed out, or the batch's transaction failed). A write that fails this
/// way may or may not have committed; the grain reloads before writing again, and the sender is told to retry. It
/// carries only a message, never the driver's exception: an exception that crosses silos must be one Orleans can
/// serialize.
/// </summary>
[GenerateSerializer, Alias("callevents.JournalUnavailableException")]
public sealed class JournalUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JournalUnavailableException()
        : base("The journal's storage is unavailable.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public JournalUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception. Do not use it for exceptions that may leave the silo: the inner exception is serialized too.</summary>
    public JournalUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
