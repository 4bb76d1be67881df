using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp.Training;

/// <summary>
/// The libtorch kernels a training process may use: <see cref="Configure"/> switches oneDNN (MKL-DNN) and NNPACK
/// off, as <c>torch.backends.mkldnn.enabled = False</c> and <c>torch.backends.nnpack.enabled = False</c> do in PyTorch
/// (TorchSharp exposes neither).
/// </summary>
/// <remarks>
/// <para>
/// Why oneDNN: the oneDNN 3.7.1 inside libtorch 2.10 (CPU) computes the <b>input gradient</b> of a convolution with one
/// input and one output channel wrongly for batches of two or more (its backward-data kernel, with the channel padded
/// to a block of 16): with one thread the gradient is about a hundredth of the true one, with two it is partly right
/// and, because the kernel reads memory it never wrote, now and then NaN. The U-ViT's final 3×3 layer is such a
/// convolution and every gradient that reaches the backbone passes through it, so training drifted, or went NaN
/// depending on what the allocator handed out (measured on an AVX-512 EPYC; <c>TrainingKernelsTests</c> holds the
/// case). Forward passes and weight gradients are right, so serving keeps oneDNN. Without it libtorch's own
/// convolution is as fast for this model's shapes (a 1→1 3×3 and a 1→D patch embedding: 2.5 against 4.5 ms for the
/// 3×3's forward and backward at batch 128 on two threads).
/// </para>
/// <para>
/// Why NNPACK: it is the next convolution libtorch tries once oneDNN is off; on CPUs it does not support it declines
/// and prints a warning from every thread, and where it is supported it would be one more kernel nobody here checked.
/// </para>
/// <para>
/// How: <c>at::Context::setUserEnabledMkldnn(bool)</c> and <c>setUserEnabledNNPACK(bool)</c> on
/// <c>at::globalContext()</c>, called by their exported C++ names in libtorch_cpu (the object is the first argument in
/// the Itanium C++ ABI). The getters read each flag back, so a libtorch whose names differ fails here, loudly, instead
/// of training on wrong gradients.
/// </para>
/// </remarks>
public static class TrainingKernels
{
    private const string Library = "libtorch_cpu";

    /// <summary>True while libtorch may run oneDNN kernels (its default).</summary>
    public static bool OneDnnEnabled
    {
        get
        {
            Load();
            return UserEnabledMkldnn(GlobalContext());
        }
    }

    /// <summary>True while libtorch may run NNPACK kernels (its default).</summary>
    public static bool NnpackEnabled
    {
        get
        {
            Load();
            return UserEnabledNnpack(GlobalContext());
        }
    }

    /// <summary>Switches oneDNN and NNPACK off for the rest of the process (every thread), and checks that both took.</summary>
    /// <exception cref="InvalidOperationException">A flag still reads as on.</exception>
    public static void Configure()
    {
        SetOneDnn(false);
        SetNnpack(false);
    }

    /// <summary>Both switches back to libtorch's defaults (on), for tests that leave the process as they found it.</summary>
    public static void Restore()
    {
        SetOneDnn(true);
        SetNnpack(true);
    }

    /// <summary>Switches oneDNN on or off (tests compare both); throws when the flag does not read back.</summary>
    public static void SetOneDnn(bool enabled)
    {
        Load();
        SetUserEnabledMkldnn(GlobalContext(), enabled);
        if (UserEnabledMkldnn(GlobalContext()) != enabled)
        {
            throw new InvalidOperationException($"libtorch reports oneDNN {(enabled ? "disabled" : "enabled")} after at::Context::setUserEnabledMkldnn({(enabled ? "true" : "false")})");
        }
    }

    /// <summary>Switches NNPACK on or off; throws when the flag does not read back.</summary>
    public static void SetNnpack(bool enabled)
    {
        Load();
        SetUserEnabledNnpack(GlobalContext(), enabled);
        if (UserEnabledNnpack(GlobalContext()) != enabled)
        {
            throw new InvalidOperationException($"libtorch reports NNPACK {(enabled ? "disabled" : "enabled")} after at::Context::setUserEnabledNNPACK({(enabled ? "true" : "false")})");
        }
    }

    /// <summary>Loads libtorch_cpu (TorchSharp's first device initialisation) before anything calls into it.</summary>
    private static void Load() => InitializeDeviceType(global::TorchSharp.DeviceType.CPU);

    // at::Context& at::globalContext()
    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv", ExactSpelling = true)]
    private static extern IntPtr GlobalContext();

    // void at::Context::setUserEnabledMkldnn(bool)
    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb", ExactSpelling = true)]
    private static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    // bool at::Context::userEnabledMkldnn() const
    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv", ExactSpelling = true)]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledMkldnn(IntPtr context);

    // void at::Context::setUserEnabledNNPACK(bool)
    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb", ExactSpelling = true)]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    // bool at::Context::userEnabledNNPACK() const
    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv", ExactSpelling = true)]
    [return: MarshalAs(UnmanagedType.U1)]
    private static extern bool UserEnabledNnpack(IntPtr context);
}
