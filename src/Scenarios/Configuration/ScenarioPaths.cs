using FedSim.Scenario;
using FedSim.Data;

namespace FedSim.Scenarios.Configuration;

/// <summary>
/// How the paths in a scenario resolve. The rule: a path written in the scenario file is relative to the
/// file's folder; a path typed on the command line (or the built-in <c>results/&lt;name&gt;</c> default)
/// is relative to the current directory. The loader keeps the spec exactly as written; callers that
/// need absolute paths (the runner) ask here, explicitly.
/// </summary>
public static class ScenarioPaths
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the four IDX files.</summary>
    public const string FashionMnistDefault = "/usr/share/datasets/fashion-mnist";

    /// <summary>Folder under the current directory that holds results when neither the file nor the CLI names one.</summary>
    public const string DefaultResultsFolder = "results";

    /// <summary>
    /// Absolute location of the dataset's file or folder, or null when it has none (synthetic data, or a file
    /// dataset without a path that none of its well-known places holds). Without a path the dataset is looked
    /// for where the loader looks ($FEDSIM_DATA_DIR, then /usr/share/datasets), so validation and loading agree.
    /// </summary>
    public static string? ResolveDatasetPath(DatasetSpec dataset, string baseDirectory)
    {
        if (DatasetKinds.Of(dataset.Kind) is { IsGenerated: true }) return null;
        if (string.IsNullOrWhiteSpace(dataset.Path))
            return DatasetCatalog.FindInWellKnownPlaces(dataset.Kind);
        return Path.GetFullPath(ExpandHome(dataset.Path), baseDirectory);
    }

    /// <summary>
    /// Absolute output folder: <paramref name="outputOverride"/> (from the CLI, relative to the current
    /// directory), else the file's <c>output</c> (relative to <paramref name="baseDirectory"/>), else
    /// <c>results/&lt;name&gt;</c> under the current directory.
    /// </summary>
    public static string ResolveOutputDirectory(ScenarioSpec spec, string baseDirectory, string? outputOverride = null)
    {
        if (!string.IsNullOrWhiteSpace(outputOverride)) return Path.GetFullPath(ExpandHome(outputOverride));
        if (!string.IsNullOrWhiteSpace(spec.Output)) return Path.GetFullPath(ExpandHome(spec.Output), baseDirectory);
        return Path.GetFullPath(Path.Combine(DefaultResultsFolder, spec.Name));
    }

    /// <summary>
    /// The scenario as it will run: a copy with CLI overrides applied (seed, output) and every path made
    /// absolute, so it can be handed to grains on any silo and saved next to the results.
    /// </summary>
    public static ScenarioSpec ResolveForRun(ScenarioSpec spec, string baseDirectory, string? outputOverride = null, ulong? seedOverride = null)
    {
        var resolved = ScenarioModel.Clone(spec);
        if (seedOverride is { } seed) resolved.Seed = seed;
        resolved.Output = ResolveOutputDirectory(spec, baseDirectory, outputOverride);
        resolved.Dataset.Path = ResolveDatasetPath(spec.Dataset, baseDirectory);
        if (!string.IsNullOrWhiteSpace(spec.Heterogeneity.Trace))
            resolved.Heterogeneity.Trace = Path.GetFullPath(ExpandHome(spec.Heterogeneity.Trace), baseDirectory);
        if (!string.IsNullOrWhiteSpace(spec.Model.Init))
            resolved.Model.Init = Path.GetFullPath(ExpandHome(spec.Model.Init), baseDirectory);
        return resolved;
    }

    /// <summary>
    /// The scenario as it is saved beside the results (<c>scenario.yaml</c> in <paramref name="outputDirectory"/>):
    /// CLI overrides applied, paths kept the way the user wrote them, only re-anchored to the saved file's folder.
    /// <c>output</c> becomes <c>.</c> (this folder), so a copied results folder re-runs into itself, never into the
    /// original; a relative dataset path stays relative, rewritten to reach the same data from the results folder;
    /// absolute and <c>~/</c> paths are kept as written. A dataset given without a path gets the folder it was found
    /// in (absolute), so the saved file says which files the run read.
    /// </summary>
    public static ScenarioSpec ForResultsFolder(ScenarioSpec spec, string baseDirectory, string outputDirectory, ulong? seedOverride = null)
    {
        var saved = ScenarioModel.Clone(spec);
        if (seedOverride is { } seed) saved.Seed = seed;
        saved.Output = ".";
        if (!string.IsNullOrWhiteSpace(spec.Dataset.Path) && !IsAnchored(spec.Dataset.Path))
        {
            string target = Path.GetFullPath(spec.Dataset.Path, baseDirectory);
            // Forward slashes: the file reads the same on every platform.
            saved.Dataset.Path = Path.GetRelativePath(Path.GetFullPath(outputDirectory), target).Replace('\\', '/');
        }
        else if (string.IsNullOrWhiteSpace(spec.Dataset.Path))
            saved.Dataset.Path = ResolveDatasetPath(spec.Dataset, baseDirectory);
        if (!string.IsNullOrWhiteSpace(spec.Heterogeneity.Trace) && !IsAnchored(spec.Heterogeneity.Trace))
        {
            string target = Path.GetFullPath(spec.Heterogeneity.Trace, baseDirectory);
            saved.Heterogeneity.Trace = Path.GetRelativePath(Path.GetFullPath(outputDirectory), target).Replace('\\', '/');
        }
        if (!string.IsNullOrWhiteSpace(spec.Model.Init) && !IsAnchored(spec.Model.Init))
        {
            string target = Path.GetFullPath(spec.Model.Init, baseDirectory);
            saved.Model.Init = Path.GetRelativePath(Path.GetFullPath(outputDirectory), target).Replace('\\', '/');
        }
        return saved;
    }

    /// <summary>Absolute or home-relative: means the same from any folder.</summary>
    private static bool IsAnchored(string path) =>
        Path.IsPathRooted(path) || path == "~" || path.StartsWith("~/", StringComparison.Ordinal);

    /// <summary>The folder relative paths in <paramref name="scenarioFile"/> resolve against.</summary>
    public static string BaseDirectoryOf(string scenarioFile) =>
        Path.GetDirectoryName(Path.GetFullPath(scenarioFile)) ?? Directory.GetCurrentDirectory();

    // Researchers write "~/data/mnist"; the shell does not expand it inside a YAML file.
    internal static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
