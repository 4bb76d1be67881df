namespace AdaDiff.Server.Internal;

/// <summary>Finds the default model repository: the nearest <c>models/</c> folder above a start folder.</summary>
internal static class ModelRepositoryLocator
{
    /// <summary>Folder name of the model repository in the source tree.</summary>
    public const string FolderName = "models";

    /// <summary>
    /// The first <c>models/</c> folder found walking up from each start folder in turn, or null.
    /// </summary>
    public static string? Find(params string?[] startFolders)
    {
        foreach (string? start in startFolders)
        {
            if (string.IsNullOrEmpty(start))
            {
                continue;
            }
            for (DirectoryInfo? dir = new(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, FolderName);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
