// Draws the arena on a 2D canvas: glowing food, pulsing hazards, agents with trails, and short effects when
// an agent eats or is hit. It only reads the Arena's state; the game's rules live in arena.ts.
import type { Arena } from './arena.js';

const TRAIL = 10;
const BACKGROUND = '#0b1022';

const MAX_EFFECTS = 48;

interface Effect { x: number; y: number; age: number; life: number; kind: 'eat' | 'hit'; hue: number }

/** A glow drawn once into an offscreen canvas; drawing an image is far cheaper than a gradient per frame. */
function sprite(diameter: number, paint: (c: CanvasRenderingContext2D, r: number) => void): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = Math.max(2, Math.ceil(diameter));
  const c = canvas.getContext('2d')!;
  paint(c, canvas.width / 2);
  return canvas;
}

function radial(c: CanvasRenderingContext2D, r: number, stops: [number, string][], inner = 0): void {
  const g = c.createRadialGradient(r - inner, r - inner, 0, r, r, r);
  for (const [at, color] of stops) g.addColorStop(at, color);
  c.fillStyle = g;
  c.fillRect(0, 0, 2 * r, 2 * r);
}

export class ArenaRenderer {
  private readonly context: CanvasRenderingContext2D;
  private readonly trailX: Float32Array;
  private readonly trailY: Float32Array;
  private trailHead = 0;
  private readonly effects: Effect[] = [];
  private readonly hues: Float32Array;
  private time = 0;
  private size = 0;
  private sprites: { size: number; food: HTMLCanvasElement; hazard: HTMLCanvasElement; agents: HTMLCanvasElement[] } | undefined;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly arena: Arena) {
    const context = canvas.getContext('2d');
    if (!context) throw new Error('the demo needs a 2D canvas context');
    this.context = context;
    const n = arena.numEnvs;
    this.trailX = new Float32Array(n * TRAIL);
    this.trailY = new Float32Array(n * TRAIL);
    this.hues = Float32Array.from({ length: n }, (_, e) => (e * 137.508) % 360); // golden-angle hues
    this.clearTrails();
  }

  /** Forgets trails and effects (after a reset). */
  clearTrails(): void {
    const n = this.arena.numEnvs;
    for (let e = 0; e < n; e++) {
      this.trailX.fill(this.arena.agentX[e], e * TRAIL, (e + 1) * TRAIL);
      this.trailY.fill(this.arena.agentY[e], e * TRAIL, (e + 1) * TRAIL);
    }
    this.effects.length = 0;
  }

  /** Call after each arena step: records trails and starts effects for eating and hits. */
  afterStep(terminated: Uint8Array, truncated: Uint8Array): void {
    const a = this.arena;
    this.trailHead = (this.trailHead + 1) % TRAIL;
    for (let e = 0; e < a.numEnvs; e++) {
      if (terminated[e] || truncated[e]) {
        // A new episode starts elsewhere: no trail across the arena.
        if (terminated[e]) this.effects.push({ x: a.endX[e], y: a.endY[e], age: 0, life: 0.6, kind: 'hit', hue: this.hues[e] });
        this.trailX.fill(a.agentX[e], e * TRAIL, (e + 1) * TRAIL);
        this.trailY.fill(a.agentY[e], e * TRAIL, (e + 1) * TRAIL);
      } else if (a.ate[e]) {
        this.effects.push({ x: a.agentX[e], y: a.agentY[e], age: 0, life: 0.5, kind: 'eat', hue: this.hues[e] });
      }
      this.trailX[e * TRAIL + this.trailHead] = a.agentX[e];
      this.trailY[e * TRAIL + this.trailHead] = a.agentY[e];
    }
    if (this.effects.length > MAX_EFFECTS) this.effects.splice(0, this.effects.length - MAX_EFFECTS);
  }

  /** Draws one frame; dt in seconds drives the animations (not the game). */
  draw(dt: number): void {
    this.resize();
    this.time += dt;
    const c = this.context, s = this.size, a = this.arena;
    c.fillStyle = BACKGROUND;
    c.fillRect(0, 0, s, s);
    this.drawGrid();

    const sprites = this.spritesFor(s);
    // Food: a soft halo around a bright core, gently pulsing.
    for (let i = 0; i < a.numFood; i++) {
      const r = 0.028 * s * (1 + 0.15 * Math.sin(this.time * 4 + i * 1.7));
      c.drawImage(sprites.food, a.foodX[i] * s - r, a.foodY[i] * s - r, 2 * r, 2 * r);
    }

    // Hazards: a red glow with a slowly turning spiked rim.
    c.strokeStyle = 'rgba(255, 170, 140, 0.9)';
    c.lineWidth = Math.max(1, s * 0.002);
    for (let i = 0; i < a.numHazards; i++) {
      const x = a.hazardX[i] * s, y = a.hazardY[i] * s, r = a.hazardR[i] * s;
      c.drawImage(sprites.hazard, x - 1.6 * r, y - 1.6 * r, 3.2 * r, 3.2 * r);
      c.beginPath();
      const spikes = 12, turn = this.time * (i % 2 ? 0.8 : -0.8);
      for (let k = 0; k <= spikes * 2; k++) {
        const angle = turn + (k / (spikes * 2)) * Math.PI * 2;
        const radius = k % 2 ? r : r * 0.82;
        const px = x + radius * Math.cos(angle), py = y + radius * Math.sin(angle);
        k ? c.lineTo(px, py) : c.moveTo(px, py);
      }
      c.stroke();
    }

    // Agents: a trail, a body in their own hue, eyes looking where they move.
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.lineWidth = 0.012 * s;
    for (let e = 0; e < a.numEnvs; e++) {
      c.strokeStyle = `hsla(${this.hues[e]}, 90%, 65%, 0.22)`;
      c.beginPath();
      for (let k = 1; k <= TRAIL; k++) {
        const i = e * TRAIL + ((this.trailHead + k) % TRAIL);
        k === 1 ? c.moveTo(this.trailX[i] * s, this.trailY[i] * s) : c.lineTo(this.trailX[i] * s, this.trailY[i] * s);
      }
      c.stroke();
    }
    for (let e = 0; e < a.numEnvs; e++) {
      const x = a.agentX[e] * s, y = a.agentY[e] * s, r = 0.016 * s;
      c.drawImage(sprites.agents[e], x - r, y - r, 2 * r, 2 * r);
      const speed = Math.hypot(a.agentVX[e], a.agentVY[e]);
      const dx = speed > 1e-4 ? a.agentVX[e] / speed : 0, dy = speed > 1e-4 ? a.agentVY[e] / speed : 1;
      for (const side of [-1, 1]) {
        const ex = x + dx * r * 0.45 - dy * r * 0.38 * side, ey = y + dy * r * 0.45 + dx * r * 0.38 * side;
          c.fillStyle = '#fff';
        c.beginPath(); c.arc(ex, ey, r * 0.26, 0, Math.PI * 2); c.fill();
        c.fillStyle = '#111';
        c.beginPath(); c.arc(ex + dx * r * 0.1, ey + dy * r * 0.1, r * 0.12, 0, Math.PI * 2); c.fill();
      }
    }

    // Effects: a sparkle ring when eating, a red shockwave when hit.
    for (let i = this.effects.length - 1; i >= 0; i--) {
      const f = this.effects[i];
      f.age += dt;
      if (f.age >= f.life) { this.effects.splice(i, 1); continue; }
      const t = f.age / f.life, x = f.x * s, y = f.y * s;
      if (f.kind === 'eat') {
        c.fillStyle = `hsla(${f.hue}, 100%, 75%, ${1 - t})`;
        for (let k = 0; k < 6; k++) {
          const angle = (k / 6) * Math.PI * 2 + t;
          c.beginPath(); c.arc(x + Math.cos(angle) * t * 0.04 * s, y + Math.sin(angle) * t * 0.04 * s, 0.004 * s, 0, Math.PI * 2); c.fill();
        }
        if (this.effects.length < MAX_EFFECTS / 2) {
          c.fillStyle = `rgba(200, 255, 210, ${1 - t})`;
          c.font = `${Math.round(0.022 * s)}px system-ui, sans-serif`;
          c.textAlign = 'center';
          c.fillText('+1', x, y - 0.02 * s - t * 0.03 * s);
        }
      } else {
        c.strokeStyle = `rgba(255, 80, 60, ${1 - t})`;
        c.lineWidth = 0.006 * s * (1 - t);
        c.beginPath(); c.arc(x, y, 0.015 * s + t * 0.05 * s, 0, Math.PI * 2); c.stroke();
      }
    }
  }

  /** Glows and bodies, drawn once per canvas size. */
  private spritesFor(size: number) {
    if (this.sprites?.size === size) return this.sprites;
    const food = sprite(0.06 * size, (c, r) => {
      radial(c, r, [[0, 'rgba(200, 255, 214, 1)'], [0.22, 'rgba(170, 255, 190, 0.9)'], [0.3, 'rgba(140, 255, 170, 0.45)'], [1, 'rgba(140, 255, 170, 0)']]);
    });
    const hazard = sprite(0.2 * size, (c, r) => {
      radial(c, r, [[0.12, 'rgba(255, 90, 70, 0.95)'], [0.6, 'rgba(200, 30, 60, 0.55)'], [1, 'rgba(200, 30, 60, 0)']]);
    });
    const agents = Array.from(this.hues, (hue) => sprite(0.032 * size, (c, r) => {
      const g = c.createRadialGradient(r * 0.7, r * 0.7, r * 0.1, r, r, r);
      g.addColorStop(0, `hsl(${hue}, 95%, 78%)`);
      g.addColorStop(1, `hsl(${hue}, 80%, 52%)`);
      c.fillStyle = g;
      c.beginPath(); c.arc(r, r, r, 0, Math.PI * 2); c.fill();
    }));
    return (this.sprites = { size, food, hazard, agents });
  }

  private drawGrid(): void {
    const c = this.context, s = this.size;
    c.strokeStyle = 'rgba(120, 150, 255, 0.06)';
    c.lineWidth = 1;
    c.beginPath();
    for (let k = 1; k < 16; k++) {
      const p = Math.round((k / 16) * s) + 0.5;
      c.moveTo(p, 0); c.lineTo(p, s); c.moveTo(0, p); c.lineTo(s, p);
    }
    c.stroke();
    const vignette = c.createRadialGradient(s / 2, s / 2, s * 0.3, s / 2, s / 2, s * 0.75);
    vignette.addColorStop(0, 'rgba(0, 0, 0, 0)');
    vignette.addColorStop(1, 'rgba(0, 0, 0, 0.45)');
    c.fillStyle = vignette;
    c.fillRect(0, 0, s, s);
  }

  /** Keeps the backing store at the displayed size times the pixel ratio (crisp on every screen). */
  private resize(): void {
    const ratio = globalThis.devicePixelRatio || 1;
    const css = Math.max(64, Math.round(this.canvas.clientWidth || this.canvas.width));
    const pixels = Math.round(css * ratio);
    if (this.canvas.width !== pixels || this.canvas.height !== pixels) {
      this.canvas.width = pixels;
      this.canvas.height = pixels;
    }
    this.size = pixels;
  }
}
