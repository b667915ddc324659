"""PPO on CartPole-v1 served by `webppo serve-env`, in the style of CleanRL's ppo.py (torch only), saved as
a webppo checkpoint that the game's `Agent.load` plays (and can keep training) in Node or the browser.

    PYTHONPATH=python python3 python/examples/ppo_cartpole.py --out cartpole-torch.safetensors

The env runs in Node (same-step autoreset, see docs/serve-env.md); the network is webppo's own
(`WebppoPolicy`: the same names, init and normalization), so the weights load with no conversion.
`--report file.json` writes the deterministic evaluation (returns per seed, observations and actions) that
test/interop/ppo.test.ts replays in webppo.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from webppo import RemoteEnv, RemoteVectorEnv, WebppoPolicy, launch, save_checkpoint, webppo_config  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--env", default="CartPole-v1")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=100_000)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--num-steps", type=int, default=128)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--out", default="cartpole-torch.safetensors")
    p.add_argument("--report", default=None)
    p.add_argument("--cwd", default=None, help="where to start serve-env (its command comes from $WEBPPO_SERVE_ENV)")
    return p.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    envs = RemoteVectorEnv(launch(args.env, args.num_envs, cwd=args.cwd))
    spec = envs.connection.spec
    config = webppo_config(spec["observationSpace"], spec["actionSpace"], num_agents=1,
                           network={"hidden": [64, 64], "activation": "tanh"}, seed=args.seed)
    agent = WebppoPolicy(config)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    n, T = args.num_envs, args.num_steps
    batch_size = n * T
    minibatch_size = batch_size // args.num_minibatches
    obs = torch.zeros((T, n, agent.observation_size))
    actions = torch.zeros((T, n, 1), dtype=torch.long)
    logprobs, rewards, dones, values = (torch.zeros((T, n)) for _ in range(4))
    next_obs = torch.tensor(envs.reset(seed=args.seed)[0])
    next_done = torch.zeros(n)
    num_updates = max(1, args.total_timesteps // batch_size)
    episode_returns, running = [], np.zeros(n)
    start = time.time()
    for update in range(1, num_updates + 1):
        optimizer.param_groups[0]["lr"] = (1.0 - (update - 1.0) / num_updates) * args.learning_rate
        for step in range(T):
            obs[step], dones[step] = next_obs, next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
            values[step], actions[step], logprobs[step] = value, action, logprob
            o, r, term, trunc, infos = envs.step(action.numpy().astype(np.int32))
            # Truncated episodes bootstrap from the value of their final observation (same-step autoreset).
            r = r.astype(np.float32)
            if "_final_obs" in infos:
                ended = infos["_final_obs"] & trunc
                if ended.any():
                    with torch.no_grad():
                        r[ended] += args.gamma * agent.value(torch.tensor(infos["final_obs"][ended])).numpy()
            rewards[step] = torch.tensor(r)
            running += 1
            for e in np.flatnonzero(term | trunc):
                episode_returns.append(running[e])
                running[e] = 0
            next_obs, next_done = torch.tensor(o), torch.tensor((term | trunc).astype(np.float32))

        with torch.no_grad():
            next_value = agent.value(next_obs)
            advantages = torch.zeros_like(rewards)
            last = 0
            for t in reversed(range(T)):
                nonterminal = 1.0 - (next_done if t == T - 1 else dones[t + 1])
                nextvalues = next_value if t == T - 1 else values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nonterminal - values[t]
                advantages[t] = last = delta + args.gamma * args.gae_lambda * nonterminal * last
            returns = advantages + values

        b_obs, b_actions = obs.reshape(batch_size, -1), actions.reshape(batch_size, -1)
        b_logprobs, b_adv, b_returns = logprobs.reshape(-1), advantages.reshape(-1), returns.reshape(-1)
        for _ in range(args.update_epochs):
            order = np.random.permutation(batch_size)
            for s in range(0, batch_size, minibatch_size):
                mb = order[s : s + minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_actions[mb])
                ratio = (newlogprob - b_logprobs[mb]).exp()
                adv = (b_adv[mb] - b_adv[mb].mean()) / (b_adv[mb].std() + 1e-8)
                pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_loss = 0.5 * ((newvalue - b_returns[mb]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + args.vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()
        recent = np.mean(episode_returns[-20:]) if episode_returns else 0.0
        print(f"update {update}/{num_updates} steps {update * batch_size} mean return (last 20) {recent:.1f} {time.time() - start:.1f}s", flush=True)
    envs.close()

    with open(args.out, "wb") as f:
        f.write(save_checkpoint(agent, optimizer, {"steps": num_updates * batch_size, "updates": num_updates}))
    print(f"saved {args.out}")

    # Deterministic evaluation through the bridge, one episode per seed (webppo's predict() picks the same actions).
    env = RemoteEnv(launch(args.env, 1, cwd=args.cwd))
    report = {"checkpoint": args.out, "episodes": []}
    for k in range(args.eval_episodes):
        seed = 1000 + k
        o, _ = env.reset(seed=seed)
        total, done, seen, chosen = 0.0, False, [], []
        while not done:
            a = int(agent.deterministic_action(torch.tensor(o).reshape(1, -1))[0, 0])
            seen.append(o.tolist())
            chosen.append(a)
            o, r, term, trunc, _ = env.step(a)
            total += r
            done = term or trunc
        report["episodes"].append({"seed": seed, "return": total, "observations": seen[:64], "actions": chosen[:64]})
        print(f"eval seed {seed}: return {total:.0f}")
    env.close()
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    main()
