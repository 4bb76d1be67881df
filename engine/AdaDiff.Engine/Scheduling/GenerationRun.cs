namespace AdaDiff.Engine.Scheduling;

/// <summary>A finished generation: every step in order and the final result.</summary>
/// <param name="Steps">One event per sampling step.</param>
/// <param name="Completed">The final images and totals.</param>
public sealed record GenerationRun(IReadOnlyList<StepCompleted> Steps, GenerationCompleted Completed);
