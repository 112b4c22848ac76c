namespace FedSim.Persistence;

/// <summary>
/// The checkpoint storage failed (a full disk, a lost database) after its provider's own retries. It is the run's
/// failure, never a device's: counting it as a failed device would change what the run learns. The coordinator stops
/// the run without writing anything more, so the stored checkpoint stays at the last finished round for a resume.
/// </summary>
[GenerateSerializer]
public sealed class StorageFailedException : Exception
{
    public StorageFailedException(string message) : base(message) { }

    public StorageFailedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>"WHAT: the innermost error's message" (the storage provider's wrappers add nothing a user needs).</summary>
    public static StorageFailedException From(string what, Exception error)
    {
        var innermost = error;
        while (innermost.InnerException is { } inner) innermost = inner;
        return new StorageFailedException($"{what}: {innermost.Message.Trim()}", error);
    }
}
