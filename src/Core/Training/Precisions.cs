namespace FedSim.Training;

/// <summary>
/// How local training does its arithmetic (<c>compute.precision</c>). The weights the devices train, their gradients,
/// the optimizer state, the deltas and the aggregation are float32 in every mode; the modes differ in the matrix
/// products and convolutions of the forward and backward passes.
/// </summary>
public static class Precisions
{
    /// <summary>Float32 throughout (the default; TF32 off on CUDA, so cohort and one-by-one training agree).</summary>
    public const string Fp32 = "fp32";

    /// <summary>CUDA's TF32 tensor-core products (10-bit mantissa inputs, fp32 accumulation) in cuBLAS and cuDNN; on a CPU, fp32.</summary>
    public const string Tf32 = "tf32";

    /// <summary>bf16 autocast: products and convolutions on bf16 copies of their operands, the rest (losses, softmax, layer norm) in fp32.</summary>
    public const string Bf16 = "bf16";

    public static readonly string[] All = [Fp32, Tf32, Bf16];
}
