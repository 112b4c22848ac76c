using FedSim.Scenarios.Reports;

namespace FedSim.Tests.Reports;

public sealed class FolderLockTests
{
    [Fact]
    public void A_held_folder_refuses_a_second_owner_and_names_the_holders_pid()
    {
        // Prepare
        using var tmp = new TempDir();
        using var first = FolderLock.Acquire(tmp.Path);

        // Execute: flock locks belong to an open file, so a second open in the same process conflicts like another process.
        var e = Assert.Throws<ResultsFolderInUseException>(() => FolderLock.Acquire(tmp.Path));

        // Assert
        Assert.Equal(Environment.ProcessId, e.OwnerPid);
        Assert.Contains($"pid {Environment.ProcessId}", e.Message);
        Assert.Contains(tmp.Path, e.Message);
    }

    [Fact]
    public void A_released_folder_can_be_taken_again()
    {
        using var tmp = new TempDir();
        FolderLock.Acquire(tmp.Path).Dispose();

        using var second = FolderLock.Acquire(tmp.Path);

        Assert.Equal(Environment.ProcessId, FolderLock.ReadOwnerPid(tmp.Path));
    }

    [Fact]
    public void A_lock_left_by_a_dead_process_is_taken_over()
    {
        // Prepare: what a killed run leaves: its pid in the file, and no lock held (the kernel dropped it).
        using var tmp = new TempDir();
        File.WriteAllText(Path.Combine(tmp.Path, FolderLock.FileName), "2147483000\n");

        // Execute
        using var taken = FolderLock.Acquire(tmp.Path);

        // Assert
        Assert.Equal(Environment.ProcessId, FolderLock.ReadOwnerPid(tmp.Path));
    }

    [Fact]
    public void Releasing_empties_the_lock_file()
    {
        using var tmp = new TempDir();
        string path;
        using (var held = FolderLock.Acquire(tmp.Path)) path = held.Path;

        Assert.Equal("", File.ReadAllText(path));
        Assert.Null(FolderLock.ReadOwnerPid(tmp.Path));
    }
}
