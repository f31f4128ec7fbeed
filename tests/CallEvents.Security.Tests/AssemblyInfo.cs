// The hostile-input suite measures the process's managed heap; other tests running beside it would blur that.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
