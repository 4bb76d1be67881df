using AdaDiff.Engine;
using AdaDiff.Engine.Text;
using AdaDiff.Grpc.V1;
using AdaDiff.Server.Models;

namespace AdaDiff.Server.Internal;

/// <summary>Maps engine events and models to contract messages.</summary>
internal static class ProtoMapper
{
    /// <summary>
    /// A StepUpdate from a StepCompleted: the latent only with a dtype; PNG previews and the x0 tensor only on the
    /// steps the request asked for them (x0 in the latents' dtype, FLOAT32 when latents are off).
    /// </summary>
    public static StepUpdate ToStepUpdate(StepCompleted step, ModelManifest manifest, int numImages, DType? latentDType, double elapsedSeconds)
    {
        var update = new StepUpdate
        {
            StepIndex = (uint)step.StepIndex,
            Timestep = (uint)Math.Max(0, step.Timestep),
            FullDepth = (uint)manifest.Depth,
            ElapsedSeconds = elapsedSeconds,
        };
        foreach (int layer in step.ExitLayers)
        {
            update.ExitLayers.Add((uint)layer);
        }
        update.Certainties.Add(step.Certainties);
        if (step.Latent is not null && latentDType is DType dtype)
        {
            update.Latent = TensorCodec.Encode(step.Latent, numImages, manifest.Channels, manifest.Height, manifest.Width, dtype);
        }
        if (step.PredictedX0 is not { } x0)
        {
            return update;
        }
        if (step.PredictedCleanDue)
        {
            update.PredictedClean = TensorCodec.Encode(x0, numImages, manifest.Channels, manifest.Height, manifest.Width, latentDType ?? DType.Float32);
        }
        if (step.PreviewDue)
        {
            for (int k = 0; k < numImages; k++)
            {
                update.PreviewPng.Add(Google.Protobuf.UnsafeByteOperations.UnsafeWrap(
                    PngCodec.Encode(x0, k, manifest.Channels, manifest.Height, manifest.Width)));
            }
        }
        return update;
    }

    /// <summary>The GenerationResult from a GenerationCompleted.</summary>
    public static GenerationResult ToResult(GenerationCompleted done, ServedModel model, GenerationRequest request, ResolvedSettings settings, double wallSeconds)
    {
        ModelManifest m = model.Manifest;
        var result = new GenerationResult
        {
            Model = model.Name,
            Settings = settings,
            Stats = new ComputeStats
            {
                LayersExecuted = (ulong)done.Compute.LayersExecuted,
                LayersFull = (ulong)done.Compute.LayersFull,
                AccelerationRatio = done.Compute.AccelerationRatio,
                FlopsExecuted = done.Compute.FlopsExecuted,
                FlopsFull = done.Compute.FlopsFull,
                WallSeconds = wallSeconds,
                QueueSeconds = done.QueueSeconds,
                Steps = (uint)request.Steps,
            },
        };
        for (int k = 0; k < request.NumImages; k++)
        {
            result.Images.Add(new GeneratedImage
            {
                Png = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(PngCodec.Encode(done.Images, k, m.Channels, m.Height, m.Width)),
                Seed = done.Seeds[k],
                MeanExitLayer = done.MeanExitLayers[k],
            });
        }
        return result;
    }

    /// <summary>The ModelInfo of a served model.</summary>
    public static ModelInfo ToModelInfo(ServedModel model)
    {
        ModelManifest m = model.Manifest;
        var info = new ModelInfo
        {
            Name = model.Name,
            Description = m.Description,
            Depth = (uint)m.Depth,
            Channels = (uint)m.Channels,
            Height = (uint)m.Height,
            Width = (uint)m.Width,
            NumClasses = (uint)m.NumClasses,
            Timesteps = (uint)m.NoiseSchedule.Timesteps,
            DefaultThreshold = m.DefaultThreshold,
            DefaultMinLayers = (uint)m.DefaultMinLayers,
            DefaultGuidanceScale = m.DefaultGuidanceScale,
            Backend = model.Backend.Name,
            ExecutionProvider = model.Backend.ExecutionProvider,
            FlopsPerForward = m.Flops.FullForward,
            SupportsUnconditional = m.SupportsUnconditional,
            IsDefault = model.IsDefault,
            Conditioning = m.Conditioning == ConditioningKind.Text ? Conditioning.Text : Conditioning.Class,
            MaxPromptTokens = (uint)(m.Text?.MaxTokens ?? 0),
        };
        info.ClassNames.Add(m.ClassNames);
        if (model.Tokenizer is { } tokenizer)
        {
            info.PromptVocabulary.Add(tokenizer.Vocabulary.Tokens.Skip(PromptVocabulary.SpecialTokens.Count));
        }
        return info;
    }

    /// <summary>The ModelInfo of a package that failed to load: its name and why.</summary>
    public static ModelInfo ToModelInfo(UnavailableModel model) => new() { Name = model.Name, UnavailableReason = model.Reason };
}
