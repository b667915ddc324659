import struct
import unittest

import numpy as np

from webppo import safetensors


class SafetensorsTest(unittest.TestCase):
    def test_round_trip_keeps_names_dtypes_shapes_values_and_metadata(self):
        rng = np.random.default_rng(1)
        tensors = {"a.weight": rng.normal(size=(3, 2)).astype(np.float32), "b": rng.normal(size=5),
                   "c": np.arange(4, dtype=np.int32), "d": np.array([0, 1, 255], dtype=np.uint8)}
        data = safetensors.write(tensors, {"note": "x"})
        (n,) = struct.unpack_from("<Q", data, 0)
        self.assertEqual((8 + n) % 8, 0)
        back, metadata = safetensors.read(data)
        self.assertEqual(metadata, {"note": "x"})
        for name, array in tensors.items():
            self.assertEqual(back[name].dtype, array.dtype)
            np.testing.assert_array_equal(back[name], array)

    def test_rejects_truncated_and_corrupted_files(self):
        data = safetensors.write({"a": np.ones(4, np.float32)})
        with self.assertRaisesRegex(safetensors.SafetensorsError, "truncated"):
            safetensors.read(data[:5])
        with self.assertRaisesRegex(safetensors.SafetensorsError, "do not fit"):
            safetensors.read(data[:-4])
        with self.assertRaisesRegex(safetensors.SafetensorsError, "after the last tensor"):
            safetensors.read(data + b"\0\0\0\0")

    def test_fnv1a_matches_the_reference_vectors(self):
        # FNV-1a 32-bit test vectors (Fowler, Noll, Vo).
        self.assertEqual(safetensors.fnv1a(b""), "811c9dc5")
        self.assertEqual(safetensors.fnv1a(b"a"), "e40c292c")
        self.assertEqual(safetensors.fnv1a(b"foobar"), "bf9cf968")


if __name__ == "__main__":
    unittest.main()
