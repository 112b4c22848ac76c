// TODO(merge): delete this file once the data branch (which defines the real FedSim.Data.DatasetException) is merged.
// Stands in for it so the CLI's by-name mapping of user errors to exit code 2 is tested on this branch.
namespace FedSim.Data;

public sealed class DatasetException(string message) : Exception(message);
