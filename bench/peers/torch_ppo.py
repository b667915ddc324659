"""The PyTorch peer of bench/webgpu.bench.ts: the same PPO update (separate tanh MLP actor and critic, Discrete(4)
head, clipped objective, l2 critic loss, entropy bonus, per-minibatch advantage normalization, global grad-norm
clip 0.5, Adam eps 1e-5, 4 epochs x 4 shuffled minibatches) in torch only, eager and torch.compile when this
torch has it, on CUDA when available, else on the CPU.

Usage: python3 bench/peers/torch_ppo.py '[[rows, hidden], ...]' [max_seconds_per_cell]
(WEBPPO_PEER_COMPILE=all: torch.compile every cell, not only those the goals name; eager runs first for all.)
Prints one JSON object per line: {"rows", "hidden", "mode", "device", "update_ms", "grad_ms"} (or "skipped").
"""
import json
import os
import sys
import time

import torch
import torch.nn as nn

OBS = 8
ACTIONS = 4
EPOCHS = 4
MINIBATCHES = 4
CLIP = 0.2
CRITIC_COEF = 0.5
ENTROPY_COEF = 0.01
MAX_GRAD_NORM = 0.5
GOAL_CELLS = {(8192, 256), (65536, 64), (2048, 256)}


def mlp(hidden, out):
    layers, size = [], OBS
    for h in hidden:
        layers += [nn.Linear(size, h), nn.Tanh()]
        size = h
    layers.append(nn.Linear(size, out))
    return nn.Sequential(*layers)


class Policy(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.actor = mlp(hidden, ACTIONS)
        self.critic = mlp(hidden, 1)


def loss_fn(policy, obs, actions, logp_old, adv, ret):
    logits = policy.actor(obs)
    logp_all = torch.log_softmax(logits, -1)
    logp = logp_all.gather(1, actions[:, None])[:, 0]
    entropy = -(logp_all.exp() * logp_all).sum(-1)
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    ratio = torch.exp(logp - logp_old)
    objective = -torch.min(ratio * adv, ratio.clamp(1 - CLIP, 1 + CLIP) * adv).mean()
    value = policy.critic(obs)[:, 0]
    critic = CRITIC_COEF * ((value - ret) ** 2).mean()
    return objective + critic - ENTROPY_COEF * entropy.mean()


def sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize()


def run_cell(rows, hidden, mode, device, budget):
    torch.manual_seed(1)
    policy = Policy(hidden).to(device)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-4, eps=1e-5)
    obs = torch.randn(rows, OBS, device=device)
    actions = torch.randint(0, ACTIONS, (rows,), device=device)
    logp_old = torch.log(torch.full((rows,), 0.25, device=device)) + 0.1 * torch.randn(rows, device=device)
    adv = torch.randn(rows, device=device)
    ret = torch.randn(rows, device=device)
    loss = torch.compile(loss_fn) if mode == 'compile' else loss_fn
    m = rows // MINIBATCHES

    def update():
        for _ in range(EPOCHS):
            perm = torch.randperm(rows, device=device)
            for b in range(MINIBATCHES):
                idx = perm[b * m:(b + 1) * m]
                opt.zero_grad(set_to_none=True)
                loss(policy, obs[idx], actions[idx], logp_old[idx], adv[idx], ret[idx]).backward()
                nn.utils.clip_grad_norm_(policy.parameters(), MAX_GRAD_NORM)
                opt.step()

    def grads():
        opt.zero_grad(set_to_none=True)
        loss(policy, obs, actions, logp_old, adv, ret).backward()

    def median_ms(fn):
        fn()  # warm-up (and compilation)
        sync(device)
        times, spent = [], 0.0
        while len(times) < 3 or (len(times) < 15 and spent < budget / 2):
            start = time.perf_counter()
            fn()
            sync(device)
            t = time.perf_counter() - start
            times.append(t * 1000)
            spent += t
            if t > budget:
                break
        times.sort()
        return times[len(times) // 2]

    return median_ms(update), median_ms(grads)


def main():
    cells = json.loads(sys.argv[1])
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    name = torch.cuda.get_device_name(0) if device.type == 'cuda' else f'cpu ({torch.get_num_threads()} threads)'
    modes = ['eager'] + (['compile'] if hasattr(torch, 'compile') else [])
    print(json.dumps({'torch': torch.__version__, 'device': name, 'modes': modes}), flush=True)
    # torch.compile costs tens of seconds per shape: by default only the cells the goals name.
    compile_all = os.environ.get('WEBPPO_PEER_COMPILE') == 'all'
    flops_per_s = None  # CPU: skip cells whose estimated update would take far longer than the budget
    for mode in modes:
        for rows, hidden in cells:
            width = [OBS] + list(hidden)
            flops = 6 * rows * EPOCHS * 2 * sum(a * b for a, b in zip(width, width[1:]))
            row = {'rows': rows, 'hidden': hidden, 'mode': mode, 'device': name}
            if mode == 'compile' and not compile_all and (rows, hidden[0]) not in GOAL_CELLS:
                continue
            if device.type == 'cpu' and flops_per_s and flops / flops_per_s > 4 * budget:
                print(json.dumps({**row, 'skipped': 'too slow on the CPU'}), flush=True)
                continue
            try:
                update_ms, grad_ms = run_cell(rows, hidden, mode, device, budget)
            except Exception as error:  # torch.compile needs a compiler toolchain that may be missing
                print(json.dumps({**row, 'skipped': str(error)[:200]}), flush=True)
                continue
            if mode == 'eager':
                flops_per_s = max(flops_per_s or 0, flops / (update_ms / 1000))
            print(json.dumps({**row, 'update_ms': update_ms, 'grad_ms': grad_ms}), flush=True)

if __name__ == '__main__':
    main()
