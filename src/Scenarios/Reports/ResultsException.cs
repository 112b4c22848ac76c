namespace FedSim.Scenarios.Reports;

/// <summary>
/// A results folder or file could not be written or read. The message names the path and what to do;
/// the CLI prints it without a stack trace.
/// </summary>
public sealed class ResultsException(string message, Exception? inner = null) : Exception(message, inner);
