#!/usr/bin/env bash
# The GPU run in one script, for a Linux machine with an NVIDIA GPU, Python + PyTorch + CUDA, but no Node, no
# Vulkan loader, no node_modules and no registry. It needs only this checkout's .device/ (bench/prepare-device.sh
# builds it; carry that folder): it unpacks Node, the Dawn addon and, when the system has none, Debian's Vulkan
# loader into a temporary folder, finds the driver's Vulkan ICD, then runs
#   1. the correctness check (bench/device-check.ts: CPU against WebGPU, each kernel variant, every oracle case),
#   2. the PyTorch peer (bench/peers/torch_ppo.py, CUDA, eager then torch.compile) on the sweep's cells,
#   3. the sweep with the CPU trainer (bench/webgpu.bench.ts, full sweep on a hardware GPU), with the peer's ratios,
# writing check.txt, peer.jsonl, bench.md, bench.json, env.txt and summary.txt into the folder given as $1
# (default $OUT, else ./device-results). Under 8 minutes: each step has its own time limit, and the sweep writes
# bench.json after every cell, the cells the goals name first.
#   bash bench/device.sh [results-folder]
# Variables: WEBPPO_BENCH_REDUCED=1 (the reduced sweep, e.g. to try it on a software adapter), WEBPPO_BENCH_CELL_S,
# WEBPPO_PYTHON, CHECK_TIMEOUT_S (default 100), PEER_TIMEOUT_S (120), BENCH_TIMEOUT_S (200), WEBPPO_CARRIED_VULKAN=1 (use the
# carried loader even where the system has one).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$root/.device"
results="${1:-${OUT:-$root/device-results}}"
mkdir -p "$results"
results="$(cd "$results" && pwd)"
started=$(date +%s)
say() { echo "[$(($(date +%s) - started)) s] $*" | tee -a "$results/summary.txt"; }
: > "$results/summary.txt"
[ -f "$dev/node.xz" ] || { say "no .device/ here: run bench/prepare-device.sh first and carry .device"; exit 2; }

work="$(mktemp -d /tmp/webppo-device.XXXXXX)"
trap 'rm -rf "$work"' EXIT
xz -dc "$dev/node.xz" > "$work/node" && chmod +x "$work/node"
mkdir -p "$work/node_modules/webgpu/dist/linux-x64"
cp "$dev/node_modules/webgpu/index.js" "$dev/node_modules/webgpu/package.json" "$work/node_modules/webgpu/"
xz -dc "$dev/node_modules/webgpu/dist/linux-x64/dawn.node.xz" > "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
cp "$dev"/*.mjs "$work/" && cp -r "$dev/peers" "$work/peers"
say "unpacked Node $("$work/node" --version) and Dawn into $work"

# The Vulkan loader: the system's, else the carried Debian package (unpacked here, not into /).
if [ "${WEBPPO_CARRIED_VULKAN:-}" = 1 ] || ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  deb="$(ls "$dev"/libvulkan1_*.deb | head -1)"
  mkdir -p "$work/vulkan"
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$work/vulkan"
  else (cd "$work/vulkan" && ar x "$deb" && tar -xf data.tar.*); fi
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "Vulkan loader from $(basename "$deb")"
fi
# The driver's ICD (the NVIDIA container runtime puts it under /usr/local/nvidia), unless one is already chosen.
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/*.json \
             /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd"; break; fi
  done
fi
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work}"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "host: $(uname -srm)"
  echo "node: $("$work/node" --version)"
  echo "VK_ICD_FILENAMES: ${VK_ICD_FILENAMES:-unset}"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  "${WEBPPO_PYTHON:-python3}" -c 'import torch; print("torch:", torch.__version__, "cuda:", torch.cuda.is_available())' 2>&1 | tail -1
} > "$results/env.txt"
say "$(tr '\n' ';' < "$results/env.txt")"

cd "$work"
say "correctness check (CPU against WebGPU, every kernel variant)"
timeout "${CHECK_TIMEOUT_S:-100}" "$work/node" device-check.mjs > "$results/check.txt" 2>&1
check=$?
say "check: exit $check; $(tail -1 "$results/check.txt")"

# The sweep's cells, goals first (webgpu.bench.ts orders them the same way).
if [ "${WEBPPO_BENCH_REDUCED:-}" = 1 ]; then
  cells='[[512,[64,64]],[512,[256,256]],[2048,[64,64]],[2048,[256,256]]]'
else
  cells='[[8192,[256,256]],[65536,[64,64]]'
  for r in 512 2048 8192 65536; do for h in 64 256 1024; do
    case "$r/$h" in 8192/256|65536/64) ;; *) cells="$cells,[$r,[$h,$h]]" ;; esac
  done; done
  cells="$cells]"
fi
python="${WEBPPO_PYTHON:-python3}"
say "PyTorch peer"
PYTHONUNBUFFERED=1 timeout "${PEER_TIMEOUT_S:-120}" "$python" peers/torch_ppo.py "$cells" "${WEBPPO_BENCH_CELL_S:-1}" > "$results/peer.jsonl" 2>&1
say "peer: exit $? ($(grep -c update_ms "$results/peer.jsonl") measurements)"

say "sweep (WebGPU, CPU trainer; the peer's ratios)"
WEBPPO_BENCH_JSON="$results/bench.json" WEBPPO_BENCH_CELL_S="${WEBPPO_BENCH_CELL_S:-1}" WEBPPO_PEER_RESULTS="$results/peer.jsonl" \
  timeout "${BENCH_TIMEOUT_S:-200}" "$work/node" webgpu.bench.mjs > "$results/bench.md" 2>&1
bench=$?
say "sweep: exit $bench"
grep '^|' "$results/bench.md" | tee -a "$results/summary.txt" >/dev/null
say "done: results in $results"
[ "$check" -eq 0 ] && [ "$bench" -eq 0 ]
