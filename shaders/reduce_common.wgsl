// What the whole-minibatch reductions of reduce.wgsl (one workgroup) and reduce_split.wgsl (many) share,
// prepended to both: the stats and scalars slots they write. Their workgroup sum comes from sum_tree_common.wgsl
// (barriers only) or sum_subgroups_common.wgsl (subgroup operations, where the adapter offers them).
// scalars: 0 advantage mean, 1 advantage std, 2 stopped (target KL reached), 3 gradient clip scale.
// stats: one slot of 12 per minibatch, the order of STAT_NAMES, then 10 ran (1 when its step ran).

const SLOT: u32 = 12u;
const RAN: u32 = 10u;
const STOPPED: u32 = 2u;
const CLIP_SCALE: u32 = 3u;
