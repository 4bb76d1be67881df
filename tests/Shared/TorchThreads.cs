using System.Runtime.CompilerServices;

namespace AdaDiff.Tests.Shared;

/// <summary>
/// libtorch's intra-op thread count is process-wide (<c>torch.set_num_threads</c>; the TorchSharp backend sets it
/// from its options), so one test class could change the kernels, and the last bits, of every test that runs after
/// it. Each test assembly that runs libtorch pins it once, when the assembly loads, and every backend its tests
/// create asks for <see cref="Pinned"/>: no test depends on which class ran first.
/// </summary>
internal static class TorchThreads
{
    /// <summary>The thread count of every libtorch test: one, the same kernel path on every machine.</summary>
    public const int Pinned = 1;

#pragma warning disable CA2255 // a test assembly's own initializer: it must run before xunit starts any test class
    [ModuleInitializer]
    internal static void Pin() => TorchSharp.torch.set_num_threads(Pinned);
#pragma warning restore CA2255
}
