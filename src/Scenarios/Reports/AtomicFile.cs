namespace FedSim.Scenarios.Reports;

/// <summary>
/// Writes files so that a crash mid-write never leaves a truncated result: the content goes to a
/// temporary file in the same folder (same volume, so the rename is atomic) and then replaces the target.
/// </summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string text) =>
        Write(path, tmp => File.WriteAllText(tmp, text, Utf8NoBom));

    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>Runs <paramref name="writeTemp"/> on a temporary path, then moves the result over <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> writeTemp)
    {
        string full = Path.GetFullPath(path);
        string tmp = full + "." + Environment.ProcessId + ".tmp";
        try
        {
            writeTemp(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new ResultsException(
                $"Cannot write '{full}': {e.Message} Check that the folder exists, is writable and has free space, or choose another output folder.", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    // UTF-8 without a byte-order mark: CSV and JSON readers (pandas, jq) expect none.
    public static readonly System.Text.UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
