using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using FedSim.Models;

namespace FedSim.Compute;

/// <summary>
/// The language models as ordinary torch modules, one device at a time: nn.Embedding, nn.LSTM (libtorch's own LSTM
/// kernel), nn.LayerNorm, nn.Linear and the fused scaled_dot_product_attention. They are the reference trainer's
/// models and the independent check of <see cref="StackedLanguageModels"/>. Parameter names are the layout's, so
/// <see cref="CanonicalParameters"/> orders them by name rather than by registration.
/// </summary>
internal static class ReferenceLanguageModels
{
    public static nn.Module<Tensor, Tensor> Build(ModelLayout layout) => layout.Spec.Kind == ModelKinds.Lstm
        ? new LstmModel(layout.Spec)
        : new DecoderModel(layout.Spec);

    /// <summary>The module's parameters in the layout's canonical order, matched by name.</summary>
    public static Parameter[] CanonicalParameters(nn.Module module, ModelLayout layout)
    {
        var byName = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return layout.Parameters.Select(info => byName.TryGetValue(info.Name, out var p) ? p
            : throw new InvalidOperationException($"The reference {layout.Spec.Kind} has no parameter '{info.Name}' (it has: {string.Join(", ", byName.Keys)}).")).ToArray();
    }

    /// <summary>Embedding, stacked nn.LSTM (batch first), a dense head at every position.</summary>
    private sealed class LstmModel : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding _embedding;
        private readonly LSTM _lstm;
        private readonly Linear _out;

        public LstmModel(ModelSpec spec) : base("lstm-language-model")
        {
            _embedding = nn.Embedding(spec.Classes, spec.Embedding);
            _lstm = nn.LSTM(spec.Embedding, spec.Hidden[0], spec.Hidden.Length, batchFirst: true);
            _out = nn.Linear(spec.Hidden[^1], spec.Classes);
            register_module("embedding", _embedding);
            register_module("lstm", _lstm);
            register_module("out", _out);
        }

        public override Tensor forward(Tensor input)
        {
            var (output, _, _) = _lstm.forward(_embedding.forward(input.to(ScalarType.Int64)));
            return _out.forward(output);
        }
    }

    /// <summary>Causal pre-LayerNorm decoder: token + position embeddings, blocks, final LayerNorm, dense head.</summary>
    private sealed class DecoderModel : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding _token, _position;
        private readonly ModuleList<DecoderBlock> _blocks;
        private readonly LayerNorm _finalNorm;
        private readonly Linear _out;

        public DecoderModel(ModelSpec spec) : base("transformer-language-model")
        {
            _token = nn.Embedding(spec.Classes, spec.Embedding);
            _position = nn.Embedding(spec.InputFeatures, spec.Embedding);
            _blocks = nn.ModuleList(Enumerable.Range(0, spec.Layers).Select(_ => new DecoderBlock(spec)).ToArray());
            _finalNorm = nn.LayerNorm(spec.Embedding, StackedLanguageModels.LayerNormEpsilon);
            _out = nn.Linear(spec.Embedding, spec.Classes);
            register_module("token", _token);
            register_module("position", _position);
            register_module("blocks", _blocks);
            register_module("ln_f", _finalNorm);
            register_module("out", _out);
        }

        public override Tensor forward(Tensor input)
        {
            var ids = input.to(ScalarType.Int64);
            var h = _token.forward(ids).add(_position.forward(StackedLanguageModels.Steps(ids.shape[1], 1, ids.device)), HeldScalars.One);
            foreach (var block in _blocks) h = block.forward(h);
            return _out.forward(_finalNorm.forward(h));
        }
    }

    private sealed class DecoderBlock : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm _norm1, _norm2;
        private readonly Linear _qkv, _attentionProjection, _fc, _mlpProjection;
        private readonly int _heads;

        public DecoderBlock(ModelSpec spec) : base("block")
        {
            int d = spec.Embedding;
            _heads = spec.Heads;
            _norm1 = nn.LayerNorm(d, StackedLanguageModels.LayerNormEpsilon);
            _qkv = nn.Linear(d, 3 * d);
            _attentionProjection = nn.Linear(d, d);
            _norm2 = nn.LayerNorm(d, StackedLanguageModels.LayerNormEpsilon);
            _fc = nn.Linear(d, spec.Dense);
            _mlpProjection = nn.Linear(spec.Dense, d);
            register_module("ln1", _norm1);
            register_module("attn", nn.ModuleDict(("qkv", (nn.Module)_qkv), ("proj", _attentionProjection)));
            register_module("ln2", _norm2);
            register_module("mlp", nn.ModuleDict(("fc", (nn.Module)_fc), ("proj", _mlpProjection)));
        }

        public override Tensor forward(Tensor h)
        {
            long b = h.shape[0], t = h.shape[1], d = h.shape[2];
            var qkv = _qkv.forward(_norm1.forward(h)).view(b, t, 3, _heads, d / _heads).permute(2, 0, 3, 1, 4);
            var attended = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_casual: true);
            h = h.add(_attentionProjection.forward(attended.transpose(1, 2).reshape(b, t, d)), HeldScalars.One);
            return h.add(_mlpProjection.forward(F.gelu(_fc.forward(_norm2.forward(h)))), HeldScalars.One);
        }
    }
}
