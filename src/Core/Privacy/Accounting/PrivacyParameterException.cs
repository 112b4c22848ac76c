namespace FedSim.Privacy.Accounting;

/// <summary>
/// A privacy parameter is out of its valid range (a sampling rate above 1, a negative noise multiplier, a
/// δ of 0, an ε target no noise can meet). The message names the parameter, the value and what would be valid,
/// so a CLI or scenario validator can show it to the user as it is.
/// </summary>
public sealed class PrivacyParameterException(string message) : ArgumentException(message);
