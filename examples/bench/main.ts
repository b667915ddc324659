// The benchmark page: runs bench/workload.ts in this browser and shows a table to copy.
// ?auto=1 runs at once and leaves the result in window.benchResult (bench/all.mjs reads it); ?backends=cpu
// limits the trainers.
import { formatValue, markdownTable, runWorkloads, type Backend, type BenchRow, type RuntimeResult } from '../../bench/workload.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const run = $<HTMLButtonElement>('run'), copy = $<HTMLButtonElement>('copy'), rows = $('rows'), log = $('log');

function browserName(): { runtime: string; version: string } {
  const brands = (navigator as { userAgentData?: { brands: { brand: string; version: string }[] } }).userAgentData?.brands ?? [];
  const brand = brands.find((b) => /Chrom|Edge|Opera/.test(b.brand) && !/Not/.test(b.brand));
  if (brand) return { runtime: brand.brand, version: brand.version };
  const match = /(Firefox|Chrome|Chromium|Version)\/(\d+)/.exec(navigator.userAgent);
  return { runtime: match?.[1] === 'Version' ? 'Safari' : match?.[1] ?? 'browser', version: match?.[2] ?? '' };
}

const { runtime, version } = browserName();
$('environment').textContent = `${runtime} ${version}, ${navigator.hardwareConcurrency} threads, WebGPU ${'gpu' in navigator ? 'available' : 'not available'}`;
let markdown = '';

function addRow(row: BenchRow): void {
  const tr = document.createElement('tr');
  for (const [text, cls] of [[row.workload], [row.backend], [formatValue(row.value), 'value'], [row.unit], [row.detail]]) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
  }
  rows.append(tr);
}

async function start(): Promise<RuntimeResult> {
  run.disabled = true; copy.disabled = true;
  rows.textContent = ''; log.textContent = '';
  const backends = (['cpu', 'webgpu'] as Backend[]).filter((b) => $<HTMLInputElement>(b).checked);
  try {
    const result = { runtime, version, rows: await runWorkloads({ backends, onRow: addRow, log: (line) => { log.textContent += `${line}\n`; } }) };
    markdown = markdownTable([result]);
    copy.disabled = false;
    return result;
  } finally {
    run.disabled = false;
  }
}

run.addEventListener('click', () => { start().catch((error) => { log.textContent += `failed: ${error}\n`; console.error(error); }); });
copy.addEventListener('click', () => navigator.clipboard.writeText(markdown));

const params = new URLSearchParams(location.search);
if (params.has('backends')) {
  const wanted = params.get('backends')!.split(',');
  for (const b of ['cpu', 'webgpu']) $<HTMLInputElement>(b).checked = wanted.includes(b);
}
if (params.get('auto') === '1') {
  (globalThis as Record<string, unknown>).benchResult = start();
}
