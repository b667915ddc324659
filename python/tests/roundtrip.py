"""Both directions of the PyTorch round trip, driven by test/interop/python.test.ts.

    python3 roundtrip.py DIR

For every ``DIR/case-K.safetensors`` (written by webppo) with its inputs ``case-K.input.json``
(``observations`` [rows, obs], ``masks`` or null): loads it as a WebppoPolicy and writes the torch outputs to
``case-K.torch.json``. Then builds a policy from the same config in PyTorch, trains it a few Adam steps (so
its weights and optimizer state are not the initial ones), saves it as ``py-K.safetensors`` and writes its
outputs on the same inputs to ``py-K.torch.json``, for webppo's Agent.load to reproduce.
"""
import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from webppo import WebppoPolicy, load_policy, read_checkpoint, save_checkpoint  # noqa: E402


def outputs(policy, inputs):
    obs = torch.tensor(np.asarray(inputs["observations"], np.float32))
    mask = torch.tensor(np.asarray(inputs["masks"], np.uint8)).bool() if inputs.get("masks") is not None else None
    with torch.no_grad():
        head, value = policy(obs)
        action = policy.deterministic_action(obs, mask)
    return {"head": head.double().tolist(), "value": value.double().tolist(), "action": action.double().tolist()}


def main(folder):
    for path in sorted(glob.glob(os.path.join(folder, "case-*.safetensors"))):
        stem = path[: -len(".safetensors")]
        name = os.path.basename(stem)
        inputs = json.load(open(stem + ".input.json"))
        policy = load_policy(path)
        json.dump(outputs(policy, inputs), open(stem + ".torch.json", "w"))

        _, _, config = read_checkpoint(path)
        torch.manual_seed(int(name.split("-")[1]))
        trained = WebppoPolicy(config)
        optimizer = torch.optim.Adam(trained.parameters(), lr=0.05, eps=1e-5)
        obs = torch.tensor(np.asarray(inputs["observations"], np.float32))
        if trained.obs_rms is not None:
            trained.obs_rms.update(obs * 3 + 1)
        for _ in range(5):
            _, log_prob, entropy, value = trained.get_action_and_value(obs)
            loss = -(log_prob.mean()) - entropy.mean() + ((value - 1.0) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        py = os.path.join(folder, "py-" + name.split("-")[1])
        open(py + ".safetensors", "wb").write(save_checkpoint(trained, optimizer))
        json.dump(outputs(trained, inputs), open(py + ".torch.json", "w"))


if __name__ == "__main__":
    main(sys.argv[1])
