using FedSim.Data;
using FedSim.Training;

namespace FedSim.Models;

/// <summary>
/// Size limits of a model, checked before a run starts (by <c>fedsim validate</c>) so an impossible model fails with
/// a located message instead of an overflow or an out-of-memory crash mid-run. Arithmetic is in double: the point is
/// to judge sizes that do not fit in an int.
/// </summary>
public static class ModelBudget
{
    /// <summary>A model's weights are one flat float32 array (<see cref="ModelLayout"/>), so at most this many.</summary>
    public static long MaxParameters => Array.MaxLength;

    /// <summary>
    /// Most MLP hidden layers. A documented cap, not a memory limit: every layer is a separate tensor and autograd
    /// node per device and step, and nothing in federated learning practice comes near a hundred dense layers.
    /// </summary>
    public const int MaxHiddenLayers = 100;

    /// <summary>
    /// Parameter count of the model <paramref name="options"/> describes on data of the given shape (as
    /// <see cref="ModelLayout"/> would lay it out), or null when the options are not a valid model (another rule says why).
    /// </summary>
    public static double? Parameters(ModelSpecOptions options, int features, int classes, ImageShape? image)
    {
        ArgumentNullException.ThrowIfNull(options);
        static double Dense(double inputs, double outputs) => inputs * outputs + outputs;
        switch (options.Kind)
        {
            case ModelKinds.Logistic:
                return Dense(features, classes);
            case ModelKinds.Mlp when options.Hidden is { Length: > 0 } hidden:
            {
                double total = 0, previous = features;
                foreach (int width in hidden)
                {
                    total += Dense(previous, width);
                    previous = width;
                }
                return total + Dense(previous, classes);
            }
            case ModelKinds.Cnn when image is { } img && options.Channels is [var c1, var c2]:
            {
                const double k2 = ModelLayout.ConvKernel * ModelLayout.ConvKernel;
                double conv = (double)c1 * img.Channels * k2 + c1 + (double)c2 * c1 * k2 + c2;
                double flat = (double)c2 * (img.Height / 4) * (img.Width / 4);
                return conv + Dense(flat, options.Dense) + Dense(options.Dense, classes);
            }
            case ModelKinds.Lstm or ModelKinds.Transformer:
                return LanguageModelLayouts.Parameters(LanguageModelLayouts.Spec(options, options.Kind, features, classes));
            default:
                return null;
        }
    }

    /// <summary>Parameter count of a resolved model spec (see the other overload).</summary>
    public static double? Parameters(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.IsLanguageModel) return LanguageModelLayouts.Parameters(spec);
        var options = new ModelSpecOptions { Kind = spec.Kind, Hidden = spec.Hidden, Channels = spec.Channels, Dense = spec.Dense };
        return Parameters(options, spec.InputFeatures, spec.Classes, spec.Image);
    }

    /// <summary>
    /// Float32 weight-sized buffers a run holds at its peak, in bytes: the coordinator's global and next weights, one
    /// update per device of the round (all held until the round completes), and one training job's weights, delta,
    /// gradient and optimizer state (as the compute pool estimates a job). Activations and data come on top.
    /// </summary>
    public static double RunBytes(double parameters, int devicesPerRound, string optimizer) =>
        parameters * sizeof(float) * (2.0 + Math.Max(1, devicesPerRound) + 3 + OptimizerStateCopies(optimizer));

    /// <summary>Extra P-sized buffers the optimizer keeps: none for SGD, a velocity for momentum, two moments for Adam.</summary>
    public static int OptimizerStateCopies(string optimizer) => optimizer?.ToLowerInvariant() switch
    {
        OptimizerKinds.Sgd => 0,
        OptimizerKinds.Momentum => 1,
        _ => 2, // adam, and the conservative answer for anything unknown
    };

    /// <summary>Memory this process may use: physical memory, or the container's limit when one is set.</summary>
    public static long AvailableMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>"7.6 GiB", "215.4 TiB": binary units, one decimal.</summary>
    public static string FormatBytes(double bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int u = 0;
        while (bytes >= 1024 && u < units.Length - 1)
        {
            bytes /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes:0} bytes" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes:0.0} {units[u]}");
    }
}
