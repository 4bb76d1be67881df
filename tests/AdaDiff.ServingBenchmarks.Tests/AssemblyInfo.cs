// The report tests write files under one temp folder each; plotting (SkiaSharp) is fine in parallel, but keep the
// assembly's tests in sequence so that a failure's output is easy to read.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
