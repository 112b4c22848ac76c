using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedSim.Scenarios.Reports;

/// <summary>Reads and writes summary.json: indented, snake_case keys, nulls kept (a null says "never happened").</summary>
public static class SummaryJson
{
    public const string FileName = "summary.json";

    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // A diverged run can have NaN or infinite loss; write it as "NaN" rather than failing the whole summary.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // A file for people and tools, never embedded in HTML: keep '+' in "1.0.0+commit" and non-ASCII names as is.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize(RunSummary summary) => JsonSerializer.Serialize(summary, Options) + "\n";

    /// <summary>Writes the summary atomically (temp file + rename).</summary>
    public static void Write(string path, RunSummary summary) => AtomicFile.WriteAllText(path, Serialize(summary));

    public static RunSummary Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(path), Options)
                ?? throw new ResultsException($"'{path}' holds no summary (the file is 'null').");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ResultsException($"Cannot read summary file '{path}': {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new ResultsException($"'{path}' is not a valid FedSim summary.json: {e.Message}", e);
        }
    }
}
