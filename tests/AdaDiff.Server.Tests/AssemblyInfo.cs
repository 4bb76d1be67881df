// The CPU is shared (2 cores): run test classes one after another, which also keeps metric deltas exact.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
