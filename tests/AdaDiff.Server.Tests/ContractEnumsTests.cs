using AdaDiff.Engine.Exits;
using AdaDiff.Server.Internal;
using EngineExitMode = AdaDiff.Engine.ExitMode;
using EngineSettings = AdaDiff.Engine.ExitPolicySettings;
using WireExitMode = AdaDiff.Grpc.V1.ExitMode;

namespace AdaDiff.Server.Tests;

public class ContractEnumsTests
{
    [Fact]
    public void ExitModes_EveryContractModeIsAServedEnginePolicy_AndEveryEngineModeIsInTheContract()
    {
        foreach (WireExitMode wire in Enum.GetValues<WireExitMode>().Where(m => m != WireExitMode.Unspecified))
        {
            Assert.True(ContractEnums.TryToEngine(wire, out EngineExitMode mode), $"{wire} has no engine mode");
            Assert.Equal(wire, ContractEnums.ToWire(mode));
            Assert.NotNull(ExitPolicy.Create(new EngineSettings(mode, 0.5f, 1, 1)));
        }
        // The request names only what the contract offers: no engine mode without a wire value.
        Assert.All(Enum.GetValues<EngineExitMode>(), mode => Assert.NotEqual(WireExitMode.Unspecified, ContractEnums.ToWire(mode)));
        Assert.True(ContractEnums.TryToEngine(WireExitMode.Unspecified, out EngineExitMode unspecified));
        Assert.Equal(EngineExitMode.Adaptive, unspecified);
        Assert.False(ContractEnums.TryToEngine((WireExitMode)9, out _));
    }
}
