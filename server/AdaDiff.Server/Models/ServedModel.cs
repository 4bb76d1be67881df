using AdaDiff.Engine;
using AdaDiff.Engine.Backends;
using AdaDiff.Engine.Scheduling;
using AdaDiff.Engine.Text;
using AdaDiff.Server.Metrics;

namespace AdaDiff.Server.Models;

/// <summary>A loaded model: its manifest, its backend and the scheduler that batches its generations.</summary>
/// <param name="Name">Model name (its folder name).</param>
/// <param name="Manifest">Its manifest.</param>
/// <param name="Backend">The backend that runs it.</param>
/// <param name="Scheduler">The scheduler of its generations.</param>
/// <param name="IsDefault">True for the server's default model.</param>
/// <param name="Requests">Its Generate calls by final status (<c>adadiff.requests</c>).</param>
/// <param name="Tokenizer">A text model's prompt tokenizer over its package's vocabulary; null for a class model.</param>
public sealed record ServedModel(string Name, ModelManifest Manifest, IDenoiserBackend Backend, GenerationScheduler Scheduler, bool IsDefault, RequestCounter Requests,
    PromptTokenizer? Tokenizer = null);
