// The CPU is shared (2 cores): the soak's server should not compete with another test of this assembly.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
