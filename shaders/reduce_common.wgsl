// What the whole-minibatch reductions of reduce.wgsl (one workgroup) and reduce_split.wgsl (many) share,
// prepended to both: the stats and scalars slots they write, and the tree sum over a 256-invocation workgroup.
// scalars: 0 advantage mean, 1 advantage std, 2 stopped (target KL reached), 3 gradient clip scale.
// stats: one slot of 12 per minibatch, the order of STAT_NAMES, then 10 ran (1 when its step ran).

const SLOT: u32 = 12u;
const RAN: u32 = 10u;
const STOPPED: u32 = 2u;
const CLIP_SCALE: u32 = 3u;

var<workgroup> tree: array<f32, 256>;

// The sum of `value` over the workgroup's 256 invocations, returned to every one of them.
fn workgroup_sum(local: u32, value: f32) -> f32 {
  tree[local] = value;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (local < s) { tree[local] += tree[local + s]; }
    workgroupBarrier();
  }
  let total = tree[0];
  workgroupBarrier();
  return total;
}
