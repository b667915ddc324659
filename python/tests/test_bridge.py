"""The Python wrappers against real `webppo serve-env` servers (command from $WEBPPO_SERVE_ENV)."""
import os
import tempfile
import unittest

import numpy as np

from webppo import BridgeError, ParallelEnv, RemoteEnv, RemoteVectorEnv, launch
from webppo.cartpole import CartPoleVector

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DUEL = os.path.join(ROOT, "test", "interop", "envs", "duel.ts")


class VectorEnvTest(unittest.TestCase):
    def test_same_step_autoreset_seeding_and_final_observations(self):
        env = RemoteVectorEnv(launch("CartPole-v1", 3, cwd=ROOT))
        try:
            first, _ = env.reset(seed=5)
            again, _ = env.reset(seed=5)
            np.testing.assert_array_equal(first, again)
            self.assertEqual(first.shape, (3, 4))
            self.assertEqual(env.single_action_space.n, 2)
            ended = False
            for _ in range(200):
                obs, reward, terminated, truncated, infos = env.step(np.ones(3, np.int32))
                np.testing.assert_array_equal(reward, 1)
                if terminated.any():
                    ended = True
                    done = infos["_final_obs"]
                    np.testing.assert_array_equal(done, terminated | truncated)
                    # the final observation is past the limits; the new first one is near the centre
                    self.assertTrue(np.all(np.abs(infos["final_obs"][done][:, 2]) > 0.2 - 1e-6) or np.all(np.abs(infos["final_obs"][done][:, 0]) > 2.4))
                    self.assertTrue(np.all(np.abs(obs[done]) <= 0.05))
                    break
            self.assertTrue(ended)
            with self.assertRaisesRegex(BridgeError, r"actions\[row 1, 0\]: expected an integer in \[0, 1\], got 7"):
                env.step(np.array([0, 7, 0]))
            env.step(np.zeros(3, np.int32))  # a refused batch changed nothing: the connection still works
        finally:
            env.close()

    def test_unix_socket_and_single_env_api(self):
        with tempfile.TemporaryDirectory() as tmp:
            env = RemoteEnv(launch("CartPole-v1", 1, cwd=ROOT, socket_path=os.path.join(tmp, "env.sock")))
            try:
                obs, _ = env.reset(seed=3)
                steps, done = 0, False
                while not done:
                    obs, reward, terminated, truncated, _ = env.step(0)
                    steps += 1
                    done = terminated or truncated
                self.assertTrue(terminated)
                with self.assertRaisesRegex(BridgeError, "reset"):
                    env.step(0)
                nxt, _ = env.reset()
                self.assertTrue(np.all(np.abs(nxt) <= 0.05))
            finally:
                env.close()

    def test_same_dynamics_as_the_python_cartpole(self):
        remote = RemoteVectorEnv(launch("CartPole-v1", 2, cwd=ROOT))
        try:
            start, _ = remote.reset(seed=11)
            local = CartPoleVector(2)
            local.state[:] = start.astype(np.float64)  # same start, then the same actions
            rng = np.random.default_rng(0)
            for _ in range(8):
                actions = rng.integers(0, 2, size=2).astype(np.int32)
                a, *_ = remote.step(actions)
                b, *_ = local.step(actions)
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        finally:
            remote.close()


class ParallelEnvTest(unittest.TestCase):
    def test_pettingzoo_parallel_api(self):
        env = ParallelEnv(launch(DUEL, cwd=ROOT))
        try:
            self.assertEqual(env.possible_agents, ["red", "blue"])
            observations, infos = env.reset(seed=2)
            self.assertEqual(sorted(observations), ["blue", "red"])
            self.assertEqual(env.observation_space("red").shape, (3,))
            steps = 0
            while env.agents:
                acting = list(env.agents)
                observations, rewards, terminations, truncations, infos = env.step({a: 0 for a in acting})
                self.assertEqual(sorted(rewards), sorted(acting))
                for a in acting:
                    self.assertEqual(a in env.agents, not (terminations[a] or truncations[a]))
                steps += 1
            self.assertLessEqual(steps, 12)
            with self.assertRaisesRegex(BridgeError, "missing"):
                env.reset(seed=2)
                env.step({"red": 1})
        finally:
            env.close()


if __name__ == "__main__":
    unittest.main()
