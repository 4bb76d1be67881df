namespace AdaDiff.Engine.Exits;

/// <summary>What one network pass did.</summary>
/// <param name="Rows">Rows that entered the network.</param>
/// <param name="RowLayers">Σ over layers of the rows that ran it.</param>
/// <param name="LayersRun">Deepest layer run.</param>
/// <param name="CertaintyEvaluations">Layers at which the uncertainty heads were evaluated.</param>
/// <param name="Seconds">Wall time of the pass.</param>
public readonly record struct DenoisePass(int Rows, long RowLayers, int LayersRun, int CertaintyEvaluations, double Seconds);
