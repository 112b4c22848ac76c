using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace FedSim.Scenarios.Reports;

/// <summary>
/// One run per results folder: an exclusive lock on <c>.fedsim.lock</c> inside it, holding the owner's pid.
/// <para>
/// On Linux and macOS the lock is <c>flock(LOCK_EX | LOCK_NB)</c> on the file: taking it is atomic, and the kernel
/// drops it when its owner dies however it dies (kill -9, a native crash, a power cut), so a lock left by a dead
/// process is simply taken over by the next run: no pid guessing, no race between two runs taking over the same
/// stale lock. The pid written inside is for people and for the "in use by pid N" message. The file itself stays
/// (emptied on release): deleting it would let a run that opened it just before the deletion lock an orphan.
/// On Windows an exclusive share mode plays the same part.
/// </para>
/// </summary>
internal sealed class FolderLock : IDisposable
{
    public const string FileName = ".fedsim.lock";

    private readonly SafeFileHandle _handle;

    private FolderLock(SafeFileHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>
    /// Takes the folder's lock or throws <see cref="ResultsFolderInUseException"/> naming the process that holds it.
    /// The folder must exist.
    /// </summary>
    public static FolderLock Acquire(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        var handle = OperatingSystem.IsWindows() ? OpenExclusiveWindows(path, directory) : OpenAndFlock(path, directory);
        try
        {
            // Our pid, replacing whatever a dead owner left.
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            throw new ResultsException($"Cannot write the lock file '{path}': {e.Message} Check the folder's permissions and free space.", e);
        }
        return new FolderLock(handle, path);
    }

    /// <summary>
    /// The pid written in <paramref name="directory"/>'s lock file, or null when there is none (released, or never
    /// locked). Read natively: .NET's own file APIs take a shared flock to read, which a held lock refuses.
    /// </summary>
    public static int? ReadOwnerPid(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        if (OperatingSystem.IsWindows())
        {
            using var reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return ReadOwner(reader, attempts: 1);
        }
        int fd = Native.Open(path, Native.OpenReadWriteCloseOnExec);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        return ReadOwner(handle, attempts: 1);
    }

    public void Dispose()
    {
        if (_handle.IsClosed) return;
        try { RandomAccess.SetLength(_handle, 0); } // "no owner" for anyone reading it; the lock goes with the handle
        catch (IOException) { }
        _handle.Dispose();
    }

    private static SafeFileHandle OpenAndFlock(string path, string directory)
    {
        // Created through .NET (open(2) with O_CREAT is variadic, which P/Invoke cannot call portably), then opened
        // natively: .NET's FileStream takes flock locks of its own that would fight the one taken here.
        if (!File.Exists(path))
        {
            try { using (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { } }
            catch (IOException) when (File.Exists(path)) { } // another run created it first: fine
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ResultsException($"Cannot create the lock file '{path}': {e.Message} Check the folder's permissions, or pass another --output folder.", e);
            }
        }
        int fd = Native.Open(path, Native.OpenReadWriteCloseOnExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new ResultsException($"Cannot create the lock file '{path}': {Marshal.GetPInvokeErrorMessage(errno)}. " +
                                       "Check the folder's permissions, or pass another --output folder.");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Native.Flock(fd, Native.LockExclusive | Native.LockNonBlocking) == 0) return handle;

        int error = Marshal.GetLastPInvokeError();
        try
        {
            if (error is Native.EWouldBlock or Native.EAgain) throw new ResultsFolderInUseException(directory, ReadOwner(handle));
            throw new ResultsException($"Cannot lock '{path}': {Marshal.GetPInvokeErrorMessage(error)}.");
        }
        finally
        {
            handle.Dispose();
        }
    }

    private static SafeFileHandle OpenExclusiveWindows(string path, string directory)
    {
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (IOException) when (File.Exists(path))
        {
            int? owner = null;
            try
            {
                using var reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                owner = ReadOwner(reader);
            }
            catch (IOException) { }
            throw new ResultsFolderInUseException(directory, owner);
        }
    }

    /// <summary>The pid the holder wrote. It writes right after locking, so an empty file is retried briefly.</summary>
    private static int? ReadOwner(SafeFileHandle handle, int attempts = 20)
    {
        var buffer = new byte[32];
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            if (attempt > 0) Thread.Sleep(10);
            int read = RandomAccess.Read(handle, buffer, 0);
            string text = Encoding.ASCII.GetString(buffer, 0, read).Trim();
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return pid;
        }
        return null;
    }

    private static class Native
    {
        public const int LockExclusive = 2, LockNonBlocking = 4;
        public const int EAgain = 11, EWouldBlock = 35; // Linux EAGAIN (== EWOULDBLOCK); macOS EWOULDBLOCK (== EAGAIN there)

        /// <summary>O_RDWR | O_CLOEXEC: child processes (the Python baseline) must not inherit the lock.</summary>
        public static int OpenReadWriteCloseOnExec => OperatingSystem.IsMacOS() ? 0x2 | 0x1000000 : 0x2 | 0x80000;

        [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
        public static extern int Flock(int fd, int operation);
    }
}

/// <summary>Another run holds the results folder (exit 2: the message names its pid).</summary>
public sealed class ResultsFolderInUseException(string directory, int? ownerPid)
    : Exception(ownerPid is { } pid
        ? $"The results folder '{directory}' is in use by another fedsim run (pid {pid}). Wait for it to finish, or pass another --output folder."
        : $"The results folder '{directory}' is in use by another fedsim run. Wait for it to finish, or pass another --output folder.")
{
    public string Directory { get; } = directory;

    public int? OwnerPid { get; } = ownerPid;
}
