// A tiny line chart on a canvas: a few named series, the last `capacity` points each, auto-scaled.
export interface SeriesStyle { name: string; color: string }

export class LineChart {
  private readonly values: Map<string, number[]>;
  private dirty = true;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly series: readonly SeriesStyle[], private readonly capacity = 240) {
    this.values = new Map(series.map((s) => [s.name, []]));
  }

  push(name: string, value: number): void {
    const values = this.values.get(name);
    if (!values || !Number.isFinite(value)) return;
    values.push(value);
    if (values.length > this.capacity) values.shift();
    this.dirty = true;
  }

  clear(): void {
    for (const values of this.values.values()) values.length = 0;
    this.dirty = true;
  }

  /** The latest value of a series (NaN when empty). */
  last(name: string): number {
    const values = this.values.get(name);
    return values?.length ? values[values.length - 1] : NaN;
  }

  /** Redraws only when something changed. */
  draw(): void {
    const ratio = globalThis.devicePixelRatio || 1;
    const width = Math.round((this.canvas.clientWidth || 300) * ratio), height = Math.round((this.canvas.clientHeight || 120) * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) { this.canvas.width = width; this.canvas.height = height; this.dirty = true; }
    if (!this.dirty) return;
    this.dirty = false;
    const c = this.canvas.getContext('2d');
    if (!c) return;
    c.clearRect(0, 0, width, height);
    let lo = Infinity, hi = -Infinity;
    for (const values of this.values.values()) for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const pad = 6 * ratio, font = 10 * ratio;
    c.font = `${font}px system-ui, sans-serif`;
    if (lo === Infinity) {
      c.fillStyle = 'rgba(200, 210, 255, 0.5)';
      c.fillText('waiting for data…', pad, height / 2);
      return;
    }
    if (hi - lo < 1e-6) { hi += 0.5; lo -= 0.5; }
    const top = pad + font, bottom = height - pad, left = pad, right = width - pad;
    const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    if (lo < 0 && hi > 0) {
      c.strokeStyle = 'rgba(200, 210, 255, 0.15)';
      c.beginPath(); c.moveTo(left, y(0)); c.lineTo(right, y(0)); c.stroke();
    }
    c.lineWidth = 1.5 * ratio;
    // The x axis grows with the data until the chart holds `capacity` points, then scrolls.
    let longest = 0;
    for (const values of this.values.values()) longest = Math.max(longest, values.length);
    const span = Math.max(longest - 1, 20);
    let legendX = left;
    for (const { name, color } of this.series) {
      const values = this.values.get(name)!;
      if (values.length) {
        c.strokeStyle = color;
        c.beginPath();
        values.forEach((v, i) => {
          const x = left + (i / span) * (right - left);
          i ? c.lineTo(x, y(v)) : c.moveTo(x, y(v));
        });
        c.stroke();
      }
      const label = `${name} ${values.length ? format(values[values.length - 1]) : ''}`;
      c.fillStyle = color;
      c.fillText(label, legendX, pad + font * 0.8);
      legendX += c.measureText(label).width + 10 * ratio;
    }
    c.fillStyle = 'rgba(200, 210, 255, 0.45)';
    c.textAlign = 'right';
    c.fillText(format(hi), right, top + font);
    c.fillText(format(lo), right, bottom - 2 * ratio);
    c.textAlign = 'left';
  }
}

function format(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}
