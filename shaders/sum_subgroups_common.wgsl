// The sum over a 256-invocation workgroup with subgroup operations (the 'subgroups' feature), prepended first
// (the enable directive must open the module) to the reductions in place of sum_tree_common.wgsl: two barriers
// instead of nine. WGSL does not say how invocations map to subgroups, so nothing here assumes it: one
// invocation of each subgroup leaves the subgroup's sum in its own slot (the others a 0), and then every
// subgroup adds all 256 slots, lane-strided, so each arrives at the same total without a broadcast.
enable subgroups;

var<workgroup> tree: array<f32, 256>;

// The sum of `value` over the workgroup's 256 invocations, returned to every one of them. Call in uniform
// control flow (every invocation active, so the lane rank and subgroup size below are exact).
fn workgroup_sum(local: u32, value: f32) -> f32 {
  let lane = subgroupExclusiveAdd(1u);
  let size = subgroupAdd(1u);
  let partial = subgroupAdd(value);
  tree[local] = select(0.0, partial, lane == 0u);
  workgroupBarrier();
  var sum = 0.0;
  for (var i = lane; i < 256u; i += size) { sum += tree[i]; }
  let total = subgroupAdd(sum);
  workgroupBarrier();
  return total;
}
