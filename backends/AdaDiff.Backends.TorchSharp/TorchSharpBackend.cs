using AdaDiff.Backends.TorchSharp.Internal;
using AdaDiff.Backends.TorchSharp.Model;
using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using TorchSharp;
using static TorchSharp.torch;

namespace AdaDiff.Backends.TorchSharp;

/// <summary>
/// Runs a U-ViT with exits natively in TorchSharp (float32, CPU, eval mode, no autograd). Batches keep
/// their hidden state and long skips as tensors between layers; only certainties and predictions are
/// copied out. A backend may run several batches, one thread per batch at a time.
/// </summary>
public sealed class TorchSharpBackend : IDenoiserBackend
{
    private readonly UViT model;
    private bool disposed;

    /// <summary>
    /// Wraps a loaded model; the backend takes ownership of <paramref name="model"/>, switches it to eval mode
    /// and turns off gradients on its parameters, and sets libtorch's thread count from <paramref name="options"/>.
    /// </summary>
    public TorchSharpBackend(ModelManifest manifest, UViT model, TorchSharpBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(model);
        if (!manifest.SameArchitecture(model.Manifest) || model.QkvBias)
        {
            throw new ArgumentException($"model '{manifest.Name}': the module's configuration does not match the manifest", nameof(model));
        }
        options ??= new TorchSharpBackendOptions();
        torch.set_num_threads(options.Threads > 0 ? options.Threads : Environment.ProcessorCount);
        Manifest = manifest;
        this.model = model;
        model.eval();
        foreach (Tensor parameter in model.parameters())
        {
            parameter.requires_grad = false;
        }
    }

    /// <summary>
    /// Loads the model package in <paramref name="packageDir"/> (model.json + weights). Throws
    /// <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> naming the file, and the
    /// tensor where one is missing or mis-shaped.
    /// </summary>
    public static TorchSharpBackend Load(string packageDir, TorchSharpBackendOptions? options = null)
    {
        options ??= new TorchSharpBackendOptions();
        (ModelManifest manifest, UViT model) = UViTPackage.Load(packageDir, options.VerifySha256);
        return new TorchSharpBackend(manifest, model, options);
    }

    /// <inheritdoc/>
    public string Name => "torchsharp";

    /// <inheritdoc/>
    public string ExecutionProvider => "cpu";

    /// <inheritdoc/>
    public ModelManifest Manifest { get; }

    /// <summary>The network (eval mode, gradients off); owned by the backend.</summary>
    public UViT Model => model;

    /// <inheritdoc/>
    public IDenoiserBatch Begin(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.Validate(Manifest, latents, timesteps, conditions);
        return TorchSharpBatch.Start(model, Manifest, latents, timesteps, conditions);
    }

    /// <inheritdoc/>
    public void PredictAtDepth(ReadOnlySpan<float> latents, ReadOnlySpan<float> timesteps, ReadOnlySpan<int> conditions, int layers, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        BatchInput.ValidatePredictAtDepth(Manifest, latents, timesteps, conditions, layers, destination);
        TorchSharpBatch.PredictAtDepth(model, Manifest, latents, timesteps, conditions, layers, destination);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            model.Dispose();
        }
    }
}
