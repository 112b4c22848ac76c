using System.Runtime.CompilerServices;

namespace FedSim.Tests.Support;

internal static class TorchSetup
{
    /// <summary>
    /// FedSim's native torch settings (MKL reproducibility, oneDNN cap) must precede the first kernel; some
    /// tests call TorchSharp directly before touching a FedSim type, so apply them when the assembly loads.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => FedSim.Compute.TorchRuntime.EnsureInitialized();
}
