using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public sealed class FileHashesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fedsim-hashes-").FullName;
    private readonly string? _cacheBefore = Environment.GetEnvironmentVariable(FileHashes.CacheDirectoryVariable);

    [Fact]
    public void A_file_is_hashed_once_per_path_size_and_time_and_the_hash_is_kept_in_the_cache_file()
    {
        // Prepare: a private cache folder; SHA-256("hello") is the well-known 2cf24dba...9824
        Environment.SetEnvironmentVariable(FileHashes.CacheDirectoryVariable, Path.Combine(_folder, "cache"));
        string file = Path.Combine(_folder, "data.txt");
        File.WriteAllText(file, "hello");
        var written = File.GetLastWriteTimeUtc(file);

        // Execute: hash; change the bytes but not the size or time; then touch the time
        var first = FileHashes.Of(file);
        File.WriteAllText(file, "jello");
        File.SetLastWriteTimeUtc(file, written);
        var sameVersion = FileHashes.Of(file);
        File.SetLastWriteTimeUtc(file, written.AddSeconds(1));
        var newVersion = FileHashes.Of(file);

        // Assert
        Assert.Equal((5L, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), first);
        Assert.Equal(first, sameVersion); // known by path, size and time: not read again
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("jello"u8)), newVersion.Sha256);
        var lines = File.ReadAllLines(FileHashes.CacheFile);
        Assert.Equal(2, lines.Count(l => l.StartsWith(file + "\t", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.EndsWith("\t" + newVersion.Sha256, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(FileHashes.CacheDirectoryVariable, _cacheBefore);
        Directory.Delete(_folder, recursive: true);
    }
}
