namespace AdaDiff.Client;

/// <summary>One event of a generation: a <see cref="StepProgress"/> per sampling step, then one <see cref="GenerationCompleted"/>.</summary>
public abstract record GenerationEvent;
