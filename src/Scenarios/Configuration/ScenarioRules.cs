using System.Globalization;
using FedSim.Compute;
using FedSim.Scenario;
using FedSim.Data;
using FedSim.Models;
using FedSim.Composition;
using FedSim.Training;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// A value constraint on one field, keyed by its dotted path. The loader checks it and the JSON schema
/// publishes it, so each rule is written once. For lists, the numeric bounds apply to every item.
/// </summary>
public sealed record FieldRule(string Path)
{
    public double? Minimum { get; init; }
    public double? ExclusiveMinimum { get; init; }
    public double? Maximum { get; init; }
    public double? ExclusiveMaximum { get; init; }
    public int? MinItems { get; init; }
    public int? MaxItems { get; init; }
    /// <summary>Allowed values of an enum-like string field (the <c>*Kinds.All</c> arrays).</summary>
    public IReadOnlyList<string>? AllowedValues { get; init; }
    /// <summary>A string that, when given, must not be empty or blank.</summary>
    public bool NotBlank { get; init; }

    public bool HasBounds => Minimum is not null || ExclusiveMinimum is not null || Maximum is not null || ExclusiveMaximum is not null;

    /// <summary>"at least 1", "greater than 0 and less than 1", ...</summary>
    public string DescribeBounds()
    {
        var parts = new List<string>(2);
        if (Minimum is { } min) parts.Add("at least " + Format(min));
        if (ExclusiveMinimum is { } emin) parts.Add("greater than " + Format(emin));
        if (Maximum is { } max) parts.Add("at most " + Format(max));
        if (ExclusiveMaximum is { } emax) parts.Add("less than " + Format(emax));
        return string.Join(" and ", parts);
    }

    public bool InBounds(double value) =>
        (Minimum is not { } min || value >= min) && (ExclusiveMinimum is not { } emin || value > emin)
        && (Maximum is not { } max || value <= max) && (ExclusiveMaximum is not { } emax || value < emax);

    internal static string Format(double v) => v.ToString("0.################", CultureInfo.InvariantCulture);

    /// <summary>
    /// The rule a component option declares with DataAnnotations ([Range], [AllowedValues], [Length]); null when it
    /// declares none. Component options carry their rules on their own properties so a new kind is one file.
    /// </summary>
    public static FieldRule? FromAttributes(string path, System.Reflection.PropertyInfo property)
    {
        var range = property.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RangeAttribute), true)
            .Cast<System.ComponentModel.DataAnnotations.RangeAttribute>().FirstOrDefault();
        var allowed = property.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.AllowedValuesAttribute), true)
            .Cast<System.ComponentModel.DataAnnotations.AllowedValuesAttribute>().FirstOrDefault();
        var length = property.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.LengthAttribute), true)
            .Cast<System.ComponentModel.DataAnnotations.LengthAttribute>().FirstOrDefault();
        if (range is null && allowed is null && length is null) return null;
        double? Bound(object? value) => value is null ? null : Convert.ToDouble(value, CultureInfo.InvariantCulture) switch
        {
            double.MaxValue or double.MinValue => null, // "no bound" in a [Range] reads as the type's extreme
            int.MaxValue or int.MinValue => null,
            var d => d,
        };
        double? min = Bound(range?.Minimum), max = Bound(range?.Maximum);
        return new FieldRule(path)
        {
            Minimum = range is { MinimumIsExclusive: false } ? min : null,
            ExclusiveMinimum = range is { MinimumIsExclusive: true } ? min : null,
            Maximum = range is { MaximumIsExclusive: false } ? max : null,
            ExclusiveMaximum = range is { MaximumIsExclusive: true } ? max : null,
            AllowedValues = allowed?.Values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)!).ToArray(),
            MinItems = length?.MinimumLength,
            MaxItems = length?.MaximumLength,
        };
    }
}

/// <summary>
/// The validation rules of the scenario format that reflection cannot see: value ranges, allowed values,
/// and rules that relate several fields. Unknown keys and wrong types are checked generically by
/// <see cref="ScenarioLoader"/> from the model.
/// </summary>
public static class ScenarioRules
{
    /// <summary>Longest experiment name: it becomes a folder name and part of grain keys, and file names stop at 255 bytes.</summary>
    public const int MaxNameLength = 100;

    /// <summary>Most training worker threads: each is an OS thread with its own job's tensors; beyond a few per core they only contend.</summary>
    public const int MaxWorkers = 256;

    /// <summary>Largest cohort: the stacked weights of a cohort grow with it, and GPUs saturate long before (256 on an H100).</summary>
    public const int MaxCohortSize = 4096;

    /// <summary>One rule per constrained field; <c>ScenarioRulesTests</c> checks that every path exists in the model.</summary>
    public static readonly IReadOnlyList<FieldRule> Fields =
    [
        new("name") { NotBlank = true },
        new("devices") { Minimum = 1 },
        new("dataset.kind") { AllowedValues = DatasetKinds.All },
        new("dataset.path") { NotBlank = true },
        new("dataset.samples") { Minimum = 2 },
        new("dataset.test_fraction") { ExclusiveMinimum = 0, ExclusiveMaximum = 1 },
        new("dataset.partition.kind") { AllowedValues = PartitionKinds.All },
        new("dataset.partition.alpha") { ExclusiveMinimum = 0 },
        new("dataset.partition.shards_per_device") { Minimum = 1 },
        new("dataset.partition.sigma") { Minimum = 0 },
        new("dataset.partition.min_samples") { Minimum = 1 },
        new("dataset.label_column") { NotBlank = true },
        new("dataset.owner_column") { NotBlank = true },
        new("dataset.min_samples_per_owner") { Minimum = 1 },
        new("model.kind") { AllowedValues = ModelKinds.All },
        new("model.hidden") { Minimum = 1, MaxItems = ModelBudget.MaxHiddenLayers },
        new("model.channels") { Minimum = 1, MinItems = 2, MaxItems = 2 },
        new("model.dense") { Minimum = 1 },
        new("model.init") { NotBlank = true },
        new("model.embedding") { Minimum = 1 },
        new("model.layers") { Minimum = 1, Maximum = ModelBudget.MaxHiddenLayers },
        new("model.units") { Minimum = 1 },
        new("model.heads") { Minimum = 1 },
        new("training.rounds") { Minimum = 1 },
        new("training.devices_per_round") { Minimum = 1 },
        new("training.local_epochs") { Minimum = 1 },
        new("training.batch_size") { Minimum = 1 },
        new("training.learning_rate") { ExclusiveMinimum = 0 },
        new("training.optimizer") { AllowedValues = OptimizerKinds.All },
        new("training.momentum") { Minimum = 0, ExclusiveMaximum = 1 },
        new("training.max_rounds_without_updates") { Minimum = 0 },
        new("evaluation.every") { Minimum = 1 },
        new("evaluation.max_samples") { Minimum = 0 },
        new("evaluation.device_test_fraction") { ExclusiveMinimum = 0, ExclusiveMaximum = 1 },
        new("evaluation.max_devices") { Minimum = 0 },
        new("compute.device") { AllowedValues = ComputeDevices.All },
        new("compute.cohort_size") { Minimum = 0, Maximum = MaxCohortSize },
        new("compute.workers") { Minimum = 0, Maximum = MaxWorkers },
        new("compute.sum_updates") { AllowedValues = SumUpdateModes.All },
        new("compute.precision") { AllowedValues = Training.Precisions.All },
        new("output") { NotBlank = true },
        new("heterogeneity.deadline_seconds") { Minimum = 0 },
        new("heterogeneity.over_selection") { Minimum = 0, Maximum = 10 },
        new("heterogeneity.dropout") { Minimum = 0, ExclusiveMaximum = 1 },
        new("heterogeneity.availability") { ExclusiveMinimum = 0, Maximum = 1 },
        new("heterogeneity.trace") { NotBlank = true },
        new("heterogeneity.classes") { MinItems = 1 },
        new("heterogeneity.classes.name") { NotBlank = true },
        new("heterogeneity.classes.share") { Minimum = 0 },
        new("heterogeneity.classes.samples_per_second") { ExclusiveMinimum = 0, MinItems = 2, MaxItems = 2 },
        new("heterogeneity.classes.uplink_mbps") { ExclusiveMinimum = 0, MinItems = 2, MaxItems = 2 },
        new("heterogeneity.classes.downlink_mbps") { ExclusiveMinimum = 0, MinItems = 2, MaxItems = 2 },
    ];

    private static readonly Dictionary<string, FieldRule> ByPath = Fields.ToDictionary(r => r.Path, StringComparer.Ordinal);

    public static FieldRule? For(string path) => ByPath.GetValueOrDefault(path);

    /// <summary>Where to get each file-backed dataset; appended to "missing dataset" messages (one home: the catalog).</summary>
    public static string WhereToGet(string datasetKind) => DatasetCatalog.WhereToGet(datasetKind);

    /// <summary>A cross-field finding: the path it is about (for its location) and the message.</summary>
    internal readonly record struct Finding(string Path, string Message);

    /// <summary>
    /// Rules relating several fields, run on a spec whose individual fields are valid. <paramref name="isValid"/>
    /// says whether a path passed its own checks, so one bad value does not cascade into follow-up noise;
    /// <paramref name="isSet"/> says whether the file wrote the key (unset keys keep their defaults).
    /// </summary>
    internal static IEnumerable<Finding> CrossField(ScenarioSpec spec, string baseDirectory, Func<string, bool> isValid, Func<string, bool> isSet)
    {
        var data = spec.Dataset;
        var training = spec.Training;

        if (isValid("devices") && isValid("training.devices_per_round") && training.DevicesPerRound > spec.Devices
            && training.Sampling is Rounds.FixedSizeSamplingOptions)
            yield return new("training.devices_per_round",
                $"training.devices_per_round ({training.DevicesPerRound}) cannot exceed devices ({spec.Devices}): each round samples devices without replacement");

        if (isValid("name") && spec.Name.Length > MaxNameLength)
            yield return new("name", $"name is {spec.Name.Length} characters long; it is also the default output folder name and part of every device's key, so it may have at most {MaxNameLength}");
        else if (isValid("name") && spec.Name.IndexOfAny(InvalidNameChars) is var bad and >= 0)
            yield return new("name", $"name '{Printable(spec.Name)}' is also the default output folder name, so it cannot contain '{Printable(spec.Name[bad])}' (not portable in file names); use letters, digits, '-', '_' or '.'");
        else if (isValid("name") && spec.Name.Trim() is "." or "..")
            yield return new("name", $"name '{spec.Name}' is also the default output folder name, so it cannot be '.' or '..'");

        bool kindOk = isValid("dataset.kind");
        var kind = kindOk ? DatasetKinds.Of(data.Kind) : null;
        if (kind is not null && isValid("model.kind") && ModelMismatch(spec.Model, kind, data) is { } mismatch)
            yield return new("model.kind", mismatch);

        if (kind is not null && isValid("dataset.partition.kind") && data.Partition.Kind == PartitionKinds.Natural && !kind.RecordsOwners)
        {
            var owners = DatasetKinds.Descriptors.Where(k => k.RecordsOwners).Select(k => $"{k.Name} ({k.Owners})").ToList();
            yield return new("dataset.partition.kind",
                $"partition 'natural' splits by each sample's owner, which only {JoinWithAnd(owners)} record; dataset.kind is '{data.Kind}', so use iid, dirichlet, shards or quantity-skew");
        }

        if (kind is not null)
            foreach (var f in kind.Check(data, new DatasetRuleContext(spec.Devices, isValid, isSet))) yield return new(f.Path, f.Message);

        // Generated data checks its own sample count (above), in its own words.
        if (kind is { IsGenerated: false } && isValid("devices") && isValid("dataset.test_fraction") && isValid("dataset.partition.kind") && isValid("dataset.partition.min_samples")
            && isValid("dataset.partition.shards_per_device") && kind.Geometry(data) is { TrainSamples: { } trainSamples }
            && data.Partition.Kind != PartitionKinds.Natural)
        {
            int perDevice = data.Partition.Kind is PartitionKinds.Dirichlet or PartitionKinds.QuantitySkew ? Math.Max(1, data.Partition.MinSamples)
                : data.Partition.Kind == PartitionKinds.Shards ? Math.Max(1, data.Partition.ShardsPerDevice) : 1;
            if ((long)spec.Devices * perDevice > trainSamples)
                yield return new("devices",
                    $"devices ({spec.Devices}) x {(perDevice == 1 ? "1 sample" : $"{perDevice} samples or shards")} each is more than the about {trainSamples:N0} training samples of '{data.Kind}'; lower devices" +
                    (perDevice > 1 ? " or the per-device minimum" : ""));
        }

        if (kindOk && new[] { "model.kind", "model.hidden", "model.channels", "model.dense" }.All(isValid) && isValid("training.devices_per_round") && isValid("training.optimizer"))
        {
            foreach (var finding in ModelSize(spec, baseDirectory)) yield return finding;
        }

        if (isValid("compute.device") && string.Equals(spec.Compute.Device, ComputeDevices.Cuda, StringComparison.OrdinalIgnoreCase) && CudaProbe.Problem() is { } cuda)
            yield return new("compute.device", cuda);

        if (kind is not null && isValid("dataset.path"))
        {
            foreach (var finding in DatasetLocation(kind, data, baseDirectory, isSet)) yield return finding;
        }

        foreach (var finding in Components(spec, isValid)) yield return finding;
        foreach (var finding in Heterogeneity(spec, baseDirectory, isValid)) yield return finding;
        foreach (var finding in ModelInit(spec, baseDirectory, isValid)) yield return finding;
        foreach (var finding in Personalization(spec, isValid)) yield return finding;
        foreach (var finding in ComputeRules(spec, isValid)) yield return finding;
        foreach (var finding in PrivacyRules.Check(spec, baseDirectory, isValid)) yield return finding;
        foreach (var finding in LanguageModelLimits(spec, isValid)) yield return finding;
    }

    /// <summary>
    /// What a language model cannot be combined with yet: the membership attacks and per-device evaluation read one
    /// row of class scores per example, and the backdoor writes a pixel patch; a language model predicts at every position.
    /// </summary>
    private static IEnumerable<Finding> LanguageModelLimits(ScenarioSpec spec, Func<string, bool> isValid)
    {
        if (!isValid("model.kind") || !ModelKinds.IsLanguageModel(spec.Model.Kind)) yield break;
        string model = $"model.kind '{spec.Model.Kind}' predicts at every position of a sequence";
        if (isValid("attacks") && spec.Attacks.Length > 0)
            yield return new("attacks", $"attacks: {model}, and the membership attacks read one row of class scores per example; remove attacks, or attack a classifier (mlp, cnn, logistic)");
        if (isValid("evaluation.per_device") && spec.Evaluation.PerDevice)
            yield return new("evaluation.per_device", $"evaluation.per_device: {model}, and per-device evaluation scores one prediction per example; set it to false for this model");
        if (isValid("byzantine") && spec.Byzantine is Attacks.Poisoning.BackdoorOptions)
            yield return new("byzantine.kind", $"byzantine.kind: backdoor stamps a pixel patch on inputs, which token sequences do not have; use another byzantine kind with {spec.Model.Kind}");
    }

    /// <summary>
    /// Why the model cannot read the dataset, or null: a CNN needs images, language models need text and text needs
    /// them. The text rules are the model factory's own, asked with the geometry known before loading.
    /// </summary>
    private static string? ModelMismatch(ModelSpecOptions model, DatasetKind kind, DatasetSpec data)
    {
        var text = kind.Geometry(data)?.Text;
        if (model.Kind == ModelKinds.Cnn && !kind.HasImages)
        {
            var images = DatasetKinds.Descriptors.Where(k => k.HasImages).Select(k => k.Name);
            return $"model.kind 'cnn' needs an image dataset ({string.Join(", ", images)}), but dataset.kind is '{data.Kind}'; use {(text is null ? "mlp or logistic" : "lstm or transformer")} for it";
        }
        if (ModelKinds.IsLanguageModel(model.Kind) == text is not null) return null;
        try
        {
            // Only the kinds matter here; the sizes are checked on their own keys.
            ModelSpecFactory.Create(new ModelSpecOptions { Kind = model.Kind }, text?.Context ?? 1, text?.Tokens ?? 2, null, kind.Name, text);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>The components' own checks against the rest of the scenario (Krum's n ≥ 2f + 3 and the like).</summary>
    private static IEnumerable<Finding> Components(ScenarioSpec spec, Func<string, bool> isValid)
    {
        if (!isValid("training.devices_per_round") || !isValid("training")) yield break;
        int cohort = spec.Training.ExpectedCohort(spec.Devices);
        int assumed = isValid("byzantine") ? spec.Byzantine?.ExpectedPerCohort(cohort) ?? 0 : 0;
        if (isValid("strategy"))
        {
            foreach (var f in spec.Strategy.Check(ScenarioComposition.Training(spec), "strategy")) yield return new(f.Path, f.Message);
            foreach (var f in spec.Strategy.Aggregator.Check("strategy.aggregator", cohort, assumed)) yield return new(f.Path, f.Message);
        }
        if (spec.Byzantine is { } byzantine && isValid("byzantine"))
            foreach (var f in byzantine.Check("byzantine")) yield return new(f.Path, f.Message);
        if (isValid("attacks") && isValid("strategy") && isValid("devices"))
            foreach (var attacker in spec.Attacks)
                foreach (var f in attacker.Check(ScenarioComposition.Attackers(spec), "attacks")) yield return new(f.Path, f.Message);
        if (isValid("attacks") && spec.Attacks.OfType<Attacks.Auditing.OneRunAuditOptions>().Count() > 1)
            yield return new("attacks", "attacks lists more than one one-run auditor, but its canaries are part of the federation's data; list one (it searches its guess counts itself)");
    }

    /// <summary>
    /// compute.sum_updates: on needs a round that only reads the updates' weighted sum; compute.precision: tf32 is a CUDA
    /// mode (a CPU would train fp32 under its name), and bf16 leaves DP-SGD's per-example gradients out.
    /// </summary>
    private static IEnumerable<Finding> ComputeRules(ScenarioSpec spec, Func<string, bool> isValid)
    {
        var compute = spec.Compute;
        if (isValid("compute.sum_updates") && compute.SumUpdates == SumUpdateModes.On
            && new[] { "strategy", "training", "privacy", "byzantine", "attacks" }.All(isValid) && ScenarioComposition.PooledSumObstacle(spec) is { } why)
            yield return new("compute.sum_updates",
                $"compute.sum_updates is 'on' but {why}, so every update must reach the coordinator on its own; use auto or off");
        if (!isValid("compute.precision")) yield break;
        if (compute.Precision == Training.Precisions.Tf32 && isValid("compute.device") && string.Equals(compute.Device, ComputeDevices.Cpu, StringComparison.OrdinalIgnoreCase))
            yield return new("compute.precision",
                "compute.precision 'tf32' is CUDA's tensor-core mode and compute.device is 'cpu', where it would be fp32 under another name; use fp32 or bf16, or compute.device auto or cuda");
        if (compute.Precision == Training.Precisions.Bf16 && isValid("privacy") && spec.Privacy.Local is not null)
            yield return new("compute.precision",
                "compute.precision 'bf16' does not combine with privacy.local: DP-SGD clips per-example gradients that FedSim computes in fp32; use fp32 or tf32");
    }

    /// <summary>Personalization's own checks: it needs per-device evaluation, and Ditto steps that converge.</summary>
    private static IEnumerable<Finding> Personalization(ScenarioSpec spec, Func<string, bool> isValid)
    {
        if (!isValid("personalization") || !isValid("evaluation.per_device")
            || !new[] { "training.optimizer", "training.learning_rate", "training.momentum" }.All(isValid)) yield break;
        foreach (var f in spec.Personalization.Check(ScenarioComposition.Training(spec), spec.Evaluation.PerDevice, "personalization"))
            yield return new(f.Path, f.Message);
    }

    /// <summary>model.init names a file that exists; whether it fits the model is checked once the dataset is read (ModelFile).</summary>
    private static IEnumerable<Finding> ModelInit(ScenarioSpec spec, string baseDirectory, Func<string, bool> isValid)
    {
        if (!isValid("model.init") || spec.Model.Init is not { } init) yield break;
        string resolved = Path.GetFullPath(ScenarioPaths.ExpandHome(init), baseDirectory);
        if (!File.Exists(resolved))
            yield return new("model.init", $"model.init '{init}' does not exist (resolved to {resolved}); give a model.safetensors an earlier run wrote into its results folder");
    }

    private static IEnumerable<Finding> Heterogeneity(ScenarioSpec spec, string baseDirectory, Func<string, bool> isValid)
    {
        var h = spec.Heterogeneity;
        if (h.OverSelection > 0 && isValid("heterogeneity.over_selection") && isValid("training.devices_per_round") && isValid("devices"))
        {
            long sampled = (long)Math.Ceiling(spec.Training.DevicesPerRound * (1 + h.OverSelection) - 1e-9);
            if (sampled > spec.Devices)
                yield return new("heterogeneity.over_selection",
                    $"over-selection samples ceil({spec.Training.DevicesPerRound} x (1 + {RuleFormat(h.OverSelection)})) = {sampled} devices per round, more than devices ({spec.Devices}); lower over_selection or devices_per_round");
        }
        if (isValid("heterogeneity.classes"))
        {
            foreach (var c in h.Classes)
                foreach (var (key, range) in new[] { ("samples_per_second", c.SamplesPerSecond), ("uplink_mbps", c.UplinkMbps), ("downlink_mbps", c.DownlinkMbps) })
                    if (range.Length == 2 && range[0] > range[1])
                        yield return new($"heterogeneity.classes.{key}",
                            $"heterogeneity.classes '{c.Name}': {key} is [low, high], but {RuleFormat(range[0])} > {RuleFormat(range[1])}; swap them");
            if (h.Classes.Length > 0 && h.Classes.Sum(c => c.Share) <= 0)
                yield return new("heterogeneity.classes", "heterogeneity.classes: the shares sum to 0; give at least one class a positive share");
        }
        if (isValid("heterogeneity.trace") && h.Trace is { } trace)
        {
            string resolved = Path.IsPathRooted(trace) ? trace : Path.GetFullPath(Path.Combine(baseDirectory, trace));
            if (!File.Exists(resolved))
                yield return new("heterogeneity.trace", $"heterogeneity.trace '{trace}' does not exist (resolved to {resolved}); give a CSV with columns device, samples_per_second, uplink_bytes_per_second, downlink_bytes_per_second[, availability]");
        }
    }

    private static IEnumerable<Finding> DatasetLocation(DatasetKind kind, DatasetSpec data, string baseDirectory, Func<string, bool> isSet)
    {
        if (kind.IsGenerated)
        {
            if (data.Path is not null)
                yield return new("dataset.path",
                    $"dataset.path is set but dataset.kind is '{kind.Name}', which generates its data; set dataset.kind to the dataset the path holds, or remove path");
            yield break;
        }

        string? resolved = ScenarioPaths.ResolveDatasetPath(data, baseDirectory);
        if (resolved is null)
        {
            string where = kind.Folder is null
                ? $"dataset.path is required for dataset kind '{data.Kind}'"
                : $"dataset.path is required for dataset kind '{data.Kind}' unless one of its well-known places holds it, and {DatasetCatalog.DescribeWellKnownPlaces(data.Kind)}";
            yield return new(isSet("dataset.kind") ? "dataset.kind" : "dataset", $"{where}: {WhereToGet(data.Kind)}");
        }
        else if (!File.Exists(resolved) && !Directory.Exists(resolved))
        {
            string what = $"dataset.path '{data.Path}' does not exist" + (Path.IsPathRooted(data.Path!) ? "" : $" (resolved to {resolved})");
            yield return new("dataset.path", $"{what}; {WhereToGet(data.Kind)}");
        }
        else
        {
            foreach (var f in kind.CheckLocation(data, resolved)) yield return new(f.Path, f.Message);
        }
    }

    /// <summary>"a", "a and b", "a, b and c".</summary>
    private static string JoinWithAnd(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Concat(items) : string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1];

    /// <summary>
    /// The model must fit FedSim's flat weight array and the run's weight buffers this machine's memory
    /// (<see cref="ModelBudget"/>), judged from the dataset's known shape (csv: from its header).
    /// </summary>
    private static IEnumerable<Finding> ModelSize(ScenarioSpec spec, string baseDirectory)
    {
        var model = spec.Model;
        if (model.Kind == ModelKinds.Mlp && model.Hidden.Length == 0)
        {
            yield return new("model.hidden", "model.hidden is empty, but an mlp needs at least one hidden layer (e.g. [64]); use model.kind logistic for none");
            yield break;
        }
        var kind = DatasetKinds.Require(spec.Dataset.Kind);
        // Kinds without a fixed shape (csv) tell a lower bound from a look at the file.
        var geometry = kind.Geometry(spec.Dataset)
                       ?? (ScenarioPaths.ResolveDatasetPath(spec.Dataset, baseDirectory) is { } path ? kind.GeometryFromFile(spec.Dataset, path) : null);
        if (geometry is null || ModelBudget.Parameters(model, geometry.Features, geometry.Classes, geometry.Image) is not { } parameters) yield break;

        string field = model.Kind switch { ModelKinds.Mlp => "model.hidden", ModelKinds.Cnn => "model.dense", _ => "model.kind" };
        string size = $"{parameters:N0} parameters ({geometry.Features:N0} inputs, {geometry.Classes} classes)";
        if (parameters > ModelBudget.MaxParameters)
        {
            yield return new(field, $"{field}: this model would have {size}; FedSim keeps a model's weights in one float32 array of at most {ModelBudget.MaxParameters:N0} values. Use narrower or fewer layers");
            yield break;
        }
        double available = ModelBudget.AvailableMemoryBytes();
        double model1 = ModelBudget.RunBytes(parameters, 1, spec.Training.Optimizer);
        double run = ModelBudget.RunBytes(parameters, spec.Training.DevicesPerRound, spec.Training.Optimizer);
        if (model1 > available)
            yield return new(field, $"{field}: this model has {size}; training it needs at least {ModelBudget.FormatBytes(model1)} for weights, updates and optimizer state, but this machine has {ModelBudget.FormatBytes(available)} available. Use narrower or fewer layers");
        else if (run > available)
            yield return new("training.devices_per_round",
                $"training.devices_per_round ({spec.Training.DevicesPerRound}) x a model of {parameters:N0} parameters needs about {ModelBudget.FormatBytes(run)}: the coordinator holds every update of a round until it completes, and this machine has {ModelBudget.FormatBytes(available)} available. Sample fewer devices per round or use a smaller model");
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    private static string Printable(string s) => string.Concat(s.Select(Printable));

    private static string RuleFormat(double v) => FieldRule.Format(v);

    // Control characters (newline, tab, ...) too: the name is printed in one-line messages and used as a folder name.
    private static readonly char[] InvalidNameChars =
        [.. Path.GetInvalidFileNameChars().Union(['/', '\\', ':', '*', '?', '"', '<', '>', '|']).Union(Enumerable.Range(0, 32).Select(i => (char)i)).Append('\u007f')];
}
