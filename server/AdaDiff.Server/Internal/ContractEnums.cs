using AdaDiff.Engine;
using AdaDiff.Engine.Sampling;
using Proto = AdaDiff.Grpc.V1;

namespace AdaDiff.Server.Internal;

/// <summary>
/// The one map between the contract's enums and the engine's: each pair is listed once and read both ways
/// (requests in, resolved settings out). <c>*_UNSPECIFIED</c> maps to the default on the way in.
/// </summary>
internal static class ContractEnums
{
    private static readonly (Proto.Sampler Wire, SamplerKind Engine)[] Samplers =
    [
        (Proto.Sampler.Ddim, SamplerKind.Ddim),
        (Proto.Sampler.Ddpm, SamplerKind.Ddpm),
        (Proto.Sampler.DpmSolverPp2M, SamplerKind.DpmSolverPP2M),
    ];

    private static readonly (Proto.ExitMode Wire, ExitMode Engine)[] ExitModes =
    [
        (Proto.ExitMode.Adaptive, ExitMode.Adaptive),
        (Proto.ExitMode.FullDepth, ExitMode.FullDepth),
        (Proto.ExitMode.FixedDepth, ExitMode.FixedDepth),
    ];

    /// <summary>The engine's sampler for a wire value (UNSPECIFIED: DDIM); false for a value the contract does not define.</summary>
    public static bool TryToEngine(Proto.Sampler wire, out SamplerKind sampler) =>
        TryMap(Samplers, wire == Proto.Sampler.Unspecified ? Proto.Sampler.Ddim : wire, out sampler);

    /// <summary>The engine's exit mode for a wire value (UNSPECIFIED: ADAPTIVE); false for a value the contract does not define.</summary>
    public static bool TryToEngine(Proto.ExitMode wire, out ExitMode mode) =>
        TryMap(ExitModes, wire == Proto.ExitMode.Unspecified ? Proto.ExitMode.Adaptive : wire, out mode);

    /// <summary>The wire value of an engine sampler.</summary>
    public static Proto.Sampler ToWire(SamplerKind sampler) => Array.Find(Samplers, p => p.Engine == sampler).Wire;

    /// <summary>The wire value of an engine exit mode.</summary>
    public static Proto.ExitMode ToWire(ExitMode mode) => Array.Find(ExitModes, p => p.Engine == mode).Wire;

    private static bool TryMap<TWire, TEngine>((TWire Wire, TEngine Engine)[] pairs, TWire wire, out TEngine engine)
        where TWire : struct, Enum
    {
        foreach ((TWire w, TEngine e) in pairs)
        {
            if (EqualityComparer<TWire>.Default.Equals(w, wire))
            {
                engine = e;
                return true;
            }
        }
        engine = default!;
        return false;
    }
}
