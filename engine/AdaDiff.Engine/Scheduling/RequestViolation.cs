namespace AdaDiff.Engine.Scheduling;

/// <summary>A problem with one field of a <see cref="GenerationRequest"/>.</summary>
/// <param name="Field">The request property ("NumImages", "Steps", "ClassLabel", "GuidanceScale", "Exit.Threshold", …).</param>
/// <param name="Message">What is wrong, for the client.</param>
public sealed record RequestViolation(string Field, string Message);
