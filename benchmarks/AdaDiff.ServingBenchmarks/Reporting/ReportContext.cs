namespace AdaDiff.ServingBenchmarks.Reporting;

/// <summary>What the sections of the serving report share: the analysed run, its targets and the files it links.</summary>
/// <param name="Analysis">The run's summaries and ratios.</param>
/// <param name="Targets">The targets evaluated on it.</param>
/// <param name="JsonName">The JSON's path relative to the markdown file.</param>
/// <param name="Plots">The plots' paths relative to the markdown file.</param>
internal sealed record ReportContext(Analysis Analysis, IReadOnlyList<Target> Targets, string JsonName, IReadOnlyList<string> Plots)
{
    public BenchResult Result => Analysis.Result;

    public BenchSettings Settings => Analysis.Result.Settings;
}
