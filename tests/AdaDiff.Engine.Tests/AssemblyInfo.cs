// The tests seed libtorch's global generator (torch.manual_seed) before they build models: run test classes one
// after another, so no class draws from that generator while another one's seed is in force.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
