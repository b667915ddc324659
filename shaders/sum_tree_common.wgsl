// The sum over a 256-invocation workgroup as a tree through workgroup memory (8 halving steps, a barrier each),
// for adapters without subgroups. Prepended to the reductions; sum_subgroups_common.wgsl is the subgroup twin.

var<workgroup> tree: array<f32, 256>;

// The sum of `value` over the workgroup's 256 invocations, returned to every one of them. Call in uniform
// control flow.
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
