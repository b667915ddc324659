#!/usr/bin/env bash
# Builds .device/ (git-ignored), everything bench/device.sh needs on a GPU machine that has Python + PyTorch + CUDA
# but no Node, no Vulkan loader, no node_modules and no registry: an xz-compressed Node binary (this machine's),
# only the linux-x64 Dawn addon of the `webgpu` package (xz-compressed) with the package's loader, Debian's
# Vulkan loader package, and two self-contained scripts bundled by esbuild (wasm and WGSL inlined): the WebGPU
# sweep (bench/webgpu.bench.ts) and the correctness check (bench/device-check.ts). Carry `.device` (under 32 MiB).
#   bash bench/prepare-device.sh            (needs xz, apt-get download, node_modules, a built dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device
mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
node_bin=$(command -v node)
if [ ! -f "$out/node.xz" ] || [ "$node_bin" -nt "$out/node.xz" ]; then
  echo "compressing $node_bin ($(node --version)) with xz -9e"
  xz -9e -T1 -c "$node_bin" > "$out/node.xz.tmp" && mv "$out/node.xz.tmp" "$out/node.xz"
fi
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$out/node_modules/webgpu/"
if [ ! -f "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz" ]; then
  xz -9e -T1 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
fi
if ! ls "$out"/libvulkan1_*.deb >/dev/null 2>&1; then
  (cd "$out" && apt-get -o APT::Architecture=amd64 download libvulkan1)
fi
[ -f dist/index.js ] || npm run build
for entry in webgpu.bench device-check; do
  npx esbuild "bench/$entry.ts" --bundle --platform=node --format=esm --target=node20 \
    --loader:.wgsl=text --loader:.wasm=base64 --external:webgpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile="$out/$entry.mjs" --log-level=warning
done
mkdir -p "$out/peers" && cp bench/peers/torch_ppo.py "$out/peers/"
du -sh "$out"
