using System.Text.Json;
using System.Text.Json.Nodes;
using FedSim.Models;
using TorchSharp;
using TorchSharp.PyBridge;

namespace FedSim.Compute;

/// <summary>A model file that does not fit the scenario's model: a user error, with the file and the tensor at fault.</summary>
public sealed class ModelFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A trained model as a file other tools load: safetensors (read and written by TorchSharp.PyBridge) holding
/// every parameter under its PyTorch name and in PyTorch's shape, in float32. FedSim's flat layout keeps a dense
/// weight as [in, out] (x @ W); nn.Linear keeps its transpose, [out, in], so those are transposed on the way out and
/// back. Convolution kernels and biases have the same shape in both. Beside it, model.json says which architecture
/// the names belong to, so a reader can build the module before loading the state dict.
/// </summary>
public static class ModelFile
{
    public const string WeightsFileName = "model.safetensors";
    public const string ArchitectureFileName = "model.json";

    /// <summary>The safetensors bytes of <paramref name="weights"/> (a flat vector of <paramref name="model"/>'s layout).</summary>
    public static byte[] ToSafetensors(ModelSpec model, float[] weights)
    {
        var layout = ModelLayout.For(model);
        layout.Validate(weights, "The model to write");
        using var scope = torch.NewDisposeScope();
        var state = new Dictionary<string, torch.Tensor>();
        foreach (var p in layout.Parameters)
        {
            var stored = torch.tensor(weights.AsSpan(p.Offset, p.Count).ToArray(), p.Shape.Select(s => (long)s).ToArray());
            state[p.Name] = p.Role == ParameterRole.LinearWeight ? stored.t().contiguous() : stored;
        }
        using var stream = new MemoryStream();
        Safetensors.SaveStateDict(stream, state, leaveOpen: true);
        return stream.ToArray();
    }

    /// <summary>model.json: the architecture as the scenario names it, and each tensor's PyTorch name and shape.</summary>
    public static string Describe(ModelSpec model, string scenarioName)
    {
        var layout = ModelLayout.For(model);
        var description = new JsonObject
        {
            ["format"] = "safetensors, float32, PyTorch names and shapes (nn.Linear weight [out, in], nn.Conv2d weight [out, in, kh, kw], nn.LSTM weight_ih_l0 [4H, in], gates i, f, g, o; a transformer block's attn.qkv is one nn.Linear(D, 3D), queries then keys then values)",
            ["scenario"] = scenarioName,
            ["kind"] = model.Kind,
            ["input_features"] = model.InputFeatures,
            ["classes"] = model.Classes,
            ["hidden"] = new JsonArray(model.Hidden.Select(h => (JsonNode)h).ToArray()),
            ["image"] = model.Image is { } image ? new JsonArray(image.Channels, image.Height, image.Width) : null,
            ["channels"] = new JsonArray(model.Channels.Select(c => (JsonNode)c).ToArray()),
            ["dense"] = model.Dense,
            ["embedding"] = model.Embedding,
            ["layers"] = model.Layers,
            ["heads"] = model.Heads,
            ["parameters"] = layout.Count,
            ["tensors"] = new JsonArray(layout.Parameters.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["shape"] = new JsonArray(PyTorchShape(p).Select(s => (JsonNode)s).ToArray()),
            }).ToArray()),
        };
        return description.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>
    /// The flat weights of <paramref name="model"/> from a safetensors file written by FedSim or by PyTorch under the
    /// same names and shapes. Every mismatch (a missing or extra tensor, a shape, a dtype) is a
    /// <see cref="ModelFileException"/> naming the file and the tensor.
    /// </summary>
    public static float[] Read(string path, ModelSpec model)
    {
        var layout = ModelLayout.For(model);
        using var scope = torch.NewDisposeScope();
        Dictionary<string, torch.Tensor> state;
        try
        {
            state = Safetensors.LoadStateDict(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotImplementedException or ArgumentException)
        {
            throw new ModelFileException($"model.init {path}: not a readable safetensors file ({e.Message})", e);
        }
        string architecture = $"the scenario's {model.Kind} for {model.InputFeatures} features and {model.Classes} classes";
        var missing = layout.Parameters.Select(p => p.Name).Where(n => !state.ContainsKey(n)).ToList();
        var extra = state.Keys.Where(k => layout.Parameters.All(p => p.Name != k)).ToList();
        if (missing.Count > 0 || extra.Count > 0)
            throw new ModelFileException($"model.init {path}: holds a different architecture than {architecture}" +
                                         (missing.Count > 0 ? $"; missing: {string.Join(", ", missing)}" : "") +
                                         (extra.Count > 0 ? $"; not in the model: {string.Join(", ", extra)}" : "") +
                                         $" (expected: {string.Join(", ", layout.Parameters.Select(p => $"{p.Name} [{string.Join(", ", PyTorchShape(p))}]"))})");
        var weights = new float[layout.Count];
        foreach (var p in layout.Parameters)
        {
            var tensor = state[p.Name];
            if (tensor.dtype != torch.ScalarType.Float32)
                throw new ModelFileException($"model.init {path}: {p.Name} is {tensor.dtype}, FedSim trains float32; save it as float32 (tensor.float())");
            var expected = PyTorchShape(p);
            if (!tensor.shape.SequenceEqual(expected.Select(s => (long)s)))
                throw new ModelFileException($"model.init {path}: {p.Name} has shape [{string.Join(", ", tensor.shape)}], {architecture} needs [{string.Join(", ", expected)}]");
            var stored = p.Role == ParameterRole.LinearWeight ? tensor.t().contiguous() : tensor;
            stored.data<float>().ToArray().CopyTo(weights, p.Offset);
        }
        if (weights.Any(w => !float.IsFinite(w)))
            throw new ModelFileException($"model.init {path}: holds NaN or infinite weights; start from a model that trained without diverging");
        return weights;
    }

    /// <summary>The shape PyTorch's module keeps the parameter in.</summary>
    private static int[] PyTorchShape(ParameterTensor p) => p.Role == ParameterRole.LinearWeight ? [p.Shape[1], p.Shape[0]] : p.Shape;
}
