// Packs the rows of one minibatch into one contiguous staging block, the GPU upload format:
//   observations  m x obsSize   f32
//   actions       m x actSize   i32 or f32 (4-byte words copied as they are)
//   logProbs, values, advantages, returns, weights   m f32 each
//   masks         m x maskSize  u8, padded with zeros to a multiple of 4 bytes (absent when maskSize = 0)
// m = units x rowsPerUnit. A row unit is one row; a segment unit e is env column e, its numSteps rows in
// time order (rows t * numEnvs + e), all with the segment's weight.

/** Bytes of the staging block for m rows. */
export function stagingBytes(m: i32, obsSize: i32, actSize: i32, maskSize: i32): usize {
  return (<usize>m * <usize>(obsSize + actSize + 5) << 2) + ((<usize>m * <usize>maskSize + 3) & ~(<usize>3));
}

export function gatherMinibatch(
  indices: usize, units: i32, rowsPerUnit: i32, numEnvs: i32,
  observations: usize, obsSize: i32, actions: usize, actSize: i32,
  logProbs: usize, values: usize, advantages: usize, returns: usize, weights: usize,
  masks: usize, maskSize: i32, dst: usize,
): void {
  const m = <usize>units * <usize>rowsPerUnit;
  const obsBytes = <usize>obsSize << 2;
  const actBytes = <usize>actSize << 2;
  const dObs = dst;
  const dAct = dObs + m * obsBytes;
  const dLogp = dAct + m * actBytes;
  const dVal = dLogp + (m << 2);
  const dAdv = dVal + (m << 2);
  const dRet = dAdv + (m << 2);
  const dW = dRet + (m << 2);
  const dMask = dW + (m << 2);
  const maskBytes = <usize>maskSize;
  const stride: usize = rowsPerUnit == 1 ? <usize>0 : <usize>numEnvs;
  let k: usize = 0;
  for (let u = 0; u < units; u++) {
    const index = <usize>load<i32>(indices + (<usize>u << 2));
    const w: f32 = weights == 0 ? 1 : load<f32>(weights + (<usize>u << 2));
    for (let t = 0; t < rowsPerUnit; t++, k++) {
      const row = index + <usize>t * stride;
      const o = row << 2;
      const dk = k << 2;
      memory.copy(dObs + k * obsBytes, observations + row * obsBytes, obsBytes);
      memory.copy(dAct + k * actBytes, actions + row * actBytes, actBytes);
      store<f32>(dLogp + dk, load<f32>(logProbs + o));
      store<f32>(dVal + dk, load<f32>(values + o));
      store<f32>(dAdv + dk, load<f32>(advantages + o));
      store<f32>(dRet + dk, load<f32>(returns + o));
      store<f32>(dW + dk, w);
      if (maskBytes != 0) memory.copy(dMask + k * maskBytes, masks + row * maskBytes, maskBytes);
    }
  }
  if (maskBytes != 0) {
    const end = dMask + m * maskBytes;
    memory.fill(end, 0, ((m * maskBytes + 3) & ~(<usize>3)) - m * maskBytes);
  }
}
