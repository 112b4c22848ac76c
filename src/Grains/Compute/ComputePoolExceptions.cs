namespace FedSim.Compute;

/// <summary>
/// A training cohort (or an evaluation) failed inside the compute pool. Every job of the cohort receives the
/// same exception; <see cref="Exception.InnerException"/> is what the trainer threw.
/// </summary>
public sealed class ComputeCohortException : Exception
{
    /// <summary>Most device ids spelled out in the message; the rest are counted.</summary>
    internal const int MaxIdsInMessage = 32;

    public ComputeCohortException(string message, IReadOnlyList<long> deviceIds, Exception? inner)
        : base(message, inner)
    {
        DeviceIds = deviceIds;
    }

    /// <summary>The devices whose jobs were in the failed cohort (empty for an evaluation).</summary>
    public IReadOnlyList<long> DeviceIds { get; }

    internal static string FormatIds(IReadOnlyList<long> ids)
    {
        var shown = string.Join(", ", ids.Take(MaxIdsInMessage));
        return ids.Count > MaxIdsInMessage ? $"{shown}, ... and {ids.Count - MaxIdsInMessage} more" : shown;
    }
}
