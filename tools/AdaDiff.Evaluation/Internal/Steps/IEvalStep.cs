namespace AdaDiff.Evaluation.Internal.Steps;

/// <summary>
/// One stage of an evaluation: the configurations it generates and measures, added to the <see cref="EvalRun"/> for
/// the report's sections to read. Steps run in <see cref="Evaluator.Steps"/> order; later ones read earlier results.
/// </summary>
internal interface IEvalStep
{
    /// <summary>Whether the options ask for this step.</summary>
    bool IsEnabled(EvalRun run);

    /// <summary>Generates and measures the step's configurations.</summary>
    Task RunAsync(EvalRun run, CancellationToken cancellationToken);
}
