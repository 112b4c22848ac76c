using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using FedSim.Compute;
using FedSim.Data;
using FedSim.Models;
using TorchSharp;

namespace FedSim.Tests.Compute;

/// <summary>
/// model.safetensors against the safetensors format (huggingface/safetensors, "Format": an 8-byte little-endian
/// header size N, N bytes of JSON mapping each tensor name to its dtype, shape and [begin, end) data offsets, then the
/// raw little-endian data) and against PyTorch's parameter conventions (nn.Linear computes x·Wᵀ + b with W [out, in]).
/// </summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedsim-model-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ModelSpec Mlp = new(ModelKinds.Mlp, 20, 3, [16, 8], null, [], 0);
    private static readonly ModelSpec Cnn = new(ModelKinds.Cnn, 196, 4, [], new ImageShape(1, 14, 14), [4, 6], 12);

    private string Save(ModelSpec model, float[] weights, string name = "model.safetensors")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, ModelFile.ToSafetensors(model, weights));
        return path;
    }

    [Fact]
    public void A_tiny_model_is_written_exactly_as_the_specification_lays_it_out()
    {
        // Prepare: logistic regression, 2 features, 2 classes; flat layout W [in, out] = [[1, 2], [3, 4]], b = [5, 6].
        var model = new ModelSpec(ModelKinds.Logistic, 2, 2, [], null, [], 0);
        float[] weights = [1, 2, 3, 4, 5, 6];

        // Execute
        byte[] bytes = ModelFile.ToSafetensors(model, weights);

        // Assert: the header JSON, its length first, then W transposed to nn.Linear's [out, in] = [[1, 3], [2, 4]], then b.
        const string header = """{"fc.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}""";
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes((ulong)header.Length));
        expected.AddRange(Encoding.UTF8.GetBytes(header));
        foreach (float v in new float[] { 1, 3, 2, 4, 5, 6 }) expected.AddRange(BitConverter.GetBytes(v));
        Assert.True(BitConverter.IsLittleEndian);
        Assert.Equal(expected.ToArray(), bytes);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void Every_tensor_is_where_its_header_says_in_pytorch_shape_and_reads_back_to_the_same_weights(string kind)
    {
        // Prepare
        var model = kind == "mlp" ? Mlp : Cnn;
        var layout = ModelLayout.For(model);
        var weights = layout.Initialize(seed: 7);

        // Execute
        byte[] bytes = ModelFile.ToSafetensors(model, weights);
        var back = ModelFile.Read(Save(model, weights), model);

        // Assert: the header, each tensor's bytes, and nothing after the last one.
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerSize));
        var data = bytes.AsSpan(8 + (int)headerSize);
        long end = 0;
        foreach (var p in layout.Parameters)
        {
            var entry = header.RootElement.GetProperty(p.Name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            int[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(p.Role == ParameterRole.LinearWeight ? [p.Shape[1], p.Shape[0]] : p.Shape, shape);
            Assert.Equal(end, offsets[0]);
            Assert.Equal(4L * p.Count, offsets[1] - offsets[0]);
            var values = new float[p.Count];
            for (int i = 0; i < p.Count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(int)(offsets[0] + 4 * i)..]);
            Assert.Equal(Flat(p, weights), values);
            end = offsets[1];
        }
        Assert.Equal(layout.Parameters.Count, header.RootElement.EnumerateObject().Count());
        Assert.Equal(end, data.Length);
        Assert.Equal(weights, back);
    }

    /// <summary>The tensor's values in PyTorch's row-major order: a dense weight [in, out] read as its transpose.</summary>
    private static float[] Flat(ParameterTensor p, float[] weights)
    {
        var own = weights.AsSpan(p.Offset, p.Count).ToArray();
        if (p.Role != ParameterRole.LinearWeight) return own;
        int inputs = p.Shape[0], outputs = p.Shape[1];
        var transposed = new float[own.Length];
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < inputs; i++) transposed[o * inputs + i] = own[i * outputs + o];
        return transposed;
    }

    [Fact]
    public void A_dense_layer_from_the_file_computes_what_nn_Linear_computes()
    {
        // Prepare: FedSim's own layer is x @ W + b with W [in, out].
        var model = new ModelSpec(ModelKinds.Logistic, 5, 3, [], null, [], 0);
        var weights = ModelLayout.For(model).Initialize(seed: 3);
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(4, 5, generator: new torch.Generator(11));
        var fedsim = x.matmul(torch.tensor(weights[..15], 5, 3)) + torch.tensor(weights[15..]);

        // Execute: the file's tensors through torch's linear, which is what nn.Linear's forward calls.
        var state = TorchSharp.PyBridge.Safetensors.LoadStateDict(Save(model, weights));
        var pytorch = torch.nn.functional.linear(x, state["fc.weight"], state["fc.bias"]);

        // Assert
        Assert.True(fedsim.allclose(pytorch, rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void A_file_for_another_architecture_a_wrong_dtype_or_nan_weights_is_refused_naming_the_tensor()
    {
        // Prepare
        var weights = ModelLayout.For(Mlp).Initialize(seed: 1);
        string file = Save(Mlp, weights);
        var narrower = new ModelSpec(ModelKinds.Mlp, 20, 3, [12, 8], null, [], 0);
        var deeper = new ModelSpec(ModelKinds.Mlp, 20, 3, [16, 8, 4], null, [], 0);
        var nan = (float[])weights.Clone();
        nan[5] = float.NaN;
        string nanFile = Save(Mlp, nan, "nan.safetensors");
        string doubles = Path.Combine(_dir, "f64.safetensors");
        using (var scope = torch.NewDisposeScope())
        {
            var state = TorchSharp.PyBridge.Safetensors.LoadStateDict(file).ToDictionary(kv => kv.Key, kv => kv.Value.to(torch.ScalarType.Float64));
            using var stream = File.Create(doubles);
            TorchSharp.PyBridge.Safetensors.SaveStateDict(stream, state);
        }
        string text = Path.Combine(_dir, "not.safetensors");
        File.WriteAllText(text, "name: not a model\n");

        // Execute
        var shape = Assert.Throws<ModelFileException>(() => ModelFile.Read(file, narrower));
        var layers = Assert.Throws<ModelFileException>(() => ModelFile.Read(file, deeper));
        var dtype = Assert.Throws<ModelFileException>(() => ModelFile.Read(doubles, Mlp));
        var notFinite = Assert.Throws<ModelFileException>(() => ModelFile.Read(nanFile, Mlp));
        var garbage = Assert.Throws<ModelFileException>(() => ModelFile.Read(text, Mlp));

        // Assert
        Assert.Contains($"model.init {file}: fc1.weight has shape [16, 20], the scenario's mlp for 20 features and 3 classes needs [12, 20]", shape.Message);
        Assert.Contains("missing: fc3.weight, fc3.bias", layers.Message);
        Assert.Contains("fc1.weight is Float64, FedSim trains float32", dtype.Message);
        Assert.Contains("NaN or infinite", notFinite.Message);
        Assert.Contains("not a readable safetensors file", garbage.Message);
    }
}

/// <summary>
/// The shipped PyTorch loader (src/Scenarios/examples/python/load_model.py) reads model.safetensors into a module
/// with the same names and shapes (strict), using PyTorch alone. Runs where a Python with torch is installed
/// (Debian: python3-torch); elsewhere it says so and skips.
/// </summary>
public sealed class ModelFilePythonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fedsim-model-python-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Bench.PythonTorchFact]
    public void PyTorch_loads_the_file_strictly_and_counts_the_parameters_summary_json_counts()
    {
        // Prepare
        var python = Bench.PythonTorchFactAttribute.Python.Value;
        var model = new ModelSpec(ModelKinds.Cnn, 196, 4, [], new ImageShape(1, 14, 14), [4, 6], 12);
        File.WriteAllBytes(Path.Combine(_dir, ModelFile.WeightsFileName), ModelFile.ToSafetensors(model, ModelLayout.For(model).Initialize(seed: 2)));
        File.WriteAllText(Path.Combine(_dir, ModelFile.ArchitectureFileName), ModelFile.Describe(model, "test"));
        string script = Path.Combine(RepositoryRoot(), "src", "Scenarios", "examples", "python", "load_model.py");

        // Execute
        var info = new System.Diagnostics.ProcessStartInfo(python!.Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(_dir);
        using var process = System.Diagnostics.Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd(), errors = process.StandardError.ReadToEnd();
        process.WaitForExit();

        // Assert
        Assert.True(process.ExitCode == 0, errors);
        Assert.Contains($"cnn: {ModelLayout.For(model).Count} parameters", output);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FedSim.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("FedSim.sln not found above the test binaries");
    }
}
