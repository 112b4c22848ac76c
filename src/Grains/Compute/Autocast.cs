using FedSim.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FedSim.Compute;

/// <summary>
/// The arithmetic of a cohort's matrix products and convolutions (<see cref="Precisions"/>), set for the duration of the
/// cohort on the thread that trains it. bf16 is autocast as PyTorch does it, which TorchSharp 0.107 lacks: inside a bf16
/// scope, <see cref="Bmm"/>, <see cref="Matmul"/> and <see cref="Conv2d"/> run on bf16 copies of their operands and return
/// bf16; element-wise operations follow their operands' type, the losses, softmax and layer norm are computed in fp32
/// (<see cref="Float"/>), and the gradients reach the fp32 master weights through the casts. tf32 is CUDA's global
/// cuBLAS / cuDNN setting: a cohort in tf32 waits until no cohort or evaluation in fp32 is running, and the other way round.
/// </summary>
internal static class Autocast
{
    [ThreadStatic] private static bool _bf16;

    private static readonly object Gate = new();
    private static bool _tf32;
    private static int _running;

    /// <summary>Sets <paramref name="precision"/> for this thread's tensor work until the scope is disposed.</summary>
    public static Scope Enter(string precision, torch.Device device)
    {
        if (!Precisions.All.Contains(precision))
            throw new ArgumentException($"precision '{precision}' is not one of {string.Join(", ", Precisions.All)}", nameof(precision));
        bool cuda = device.type == DeviceType.CUDA;
        if (cuda) EnterMatmulMode(precision == Precisions.Tf32);
        _bf16 = precision == Precisions.Bf16;
        return new Scope(cuda);
    }

    /// <summary>Whether this thread is in a bf16 scope.</summary>
    public static bool IsBf16 => _bf16;

    public static Tensor Bmm(Tensor a, Tensor b) => _bf16 ? torch.bmm(Low(a), Low(b)) : torch.bmm(a, b);

    public static Tensor Matmul(Tensor a, Tensor b) => _bf16 ? torch.matmul(Low(a), Low(b)) : torch.matmul(a, b);

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor bias, long[] padding, long groups) => _bf16
        ? F.conv2d(Low(input), Low(weight), Low(bias), padding: padding, groups: groups)
        : F.conv2d(input, weight, bias, padding: padding, groups: groups);

    /// <summary>The operand as the products take it: a bf16 copy in a bf16 scope (cast once, reused over a recurrence).</summary>
    public static Tensor Operand(Tensor t) => _bf16 ? Low(t) : t;

    /// <summary>An fp32 view of a result that may be bf16, for the operations autocast keeps in fp32 (losses, softmax).</summary>
    public static Tensor Float(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to(ScalarType.Float32);

    private static Tensor Low(Tensor t) => t.dtype == ScalarType.BFloat16 ? t : t.to(ScalarType.BFloat16);

    /// <summary>TF32 is one flag for the whole process: scopes of one mode run together, the other mode waits for them.</summary>
    private static void EnterMatmulMode(bool tf32)
    {
        lock (Gate)
        {
            while (_running > 0 && _tf32 != tf32) Monitor.Wait(Gate);
            if (_tf32 != tf32 || _running == 0)
            {
                torch.backends.cuda.matmul.allow_tf32 = tf32;
                torch.backends.cudnn.allow_tf32 = tf32;
                _tf32 = tf32;
            }
            _running++;
        }
    }

    private static void ExitMatmulMode()
    {
        lock (Gate)
        {
            if (--_running == 0) Monitor.PulseAll(Gate);
        }
    }

    /// <summary>Ends a scope: this thread back to fp32, and the CUDA mode released.</summary>
    public readonly struct Scope(bool cuda) : IDisposable
    {
        public void Dispose()
        {
            _bf16 = false;
            if (cuda) ExitMatmulMode();
        }
    }
}
