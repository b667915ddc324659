// The per-row scratch shared by heads, ppo_loss, advantage and reduce (prepended to each by kernels.ts):
// STRIDE floats per minibatch row, in these slots.
const STRIDE: u32 = 16u;
const LOGP: u32 = 0u;
const ENTROPY: u32 = 1u;
const VALUE: u32 = 2u;
const ADVANTAGE: u32 = 3u;
const GRAD_LOGP: u32 = 4u;
const GRAD_ENTROPY: u32 = 5u;
const GRAD_VALUE: u32 = 6u;
const RATIO: u32 = 7u;
const OBJECTIVE: u32 = 8u;
const CRITIC: u32 = 9u;
const CLIPPED: u32 = 10u;
const KL_APPROX: u32 = 11u;
const APPROX_KL: u32 = 12u;
const RESIDUAL: u32 = 13u;
const RETURN: u32 = 14u;
const ACCURACY: u32 = 15u; // categorical: fraction of branches whose most likely action is the stored one
// Floats per batch row in the packed batch data: 0 logp_old, 1 value_old, 2 advantage, 3 return,
// 4 reward, 5 terminated, 6 truncated, 7 bootstrap.
const DATA: u32 = 8u;
