namespace FedSim.Data;

/// <summary>
/// A dataset could not be found, fetched or read. The message names the file (with a line number where
/// one applies), what was wrong, and how to fix it; callers show it to the user as is.
/// </summary>
public class DatasetException : Exception
{
    public DatasetException(string message) : base(message) { }
    public DatasetException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A partition request that cannot be met (e.g. more devices than samples, natural split without groups).</summary>
public class PartitionException : ArgumentException
{
    public PartitionException(string message) : base(message) { }
}
