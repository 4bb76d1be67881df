namespace AdaDiff.Benchmarks.Reporting;

/// <summary>What the sections of the backends' report share: the run, its configurations in order, its min layers.</summary>
/// <param name="Run">The run's figures.</param>
/// <param name="Configs">The configurations as the command line named them (the columns' order).</param>
/// <param name="MinLayers">The min layers the adaptive runs and the fused prefix used.</param>
internal sealed record ReportContext(BenchmarkRun Run, IReadOnlyList<string> Configs, int MinLayers)
{
    public int Depth => Run.Model.Depth;

    /// <summary>The throughput row of <paramref name="config"/> at <paramref name="batch"/> in <paramref name="mode"/>.</summary>
    public ThroughputRow Row(string config, int batch, string mode) =>
        Run.Throughput.Single(r => r.Config == config && r.Batch == batch && r.Mode == mode);
}
