// Draws one PaddleDuel on a canvas: the field (x and y in [-1, 1], +y up), both paddles, the ball and its
// trail, and the score. Reads only the duel's public state.
import type { PaddleDuel } from 'webppo';

const TRAIL = 12;

export class DuelRenderer {
  private readonly trail: { x: number; y: number }[] = [];

  constructor(private readonly canvas: HTMLCanvasElement, private duel: PaddleDuel) {}

  /** Follows another duel (the trail restarts). */
  show(duel: PaddleDuel): void {
    this.duel = duel;
    this.trail.length = 0;
  }

  /** Draws the duel; `human` colors the left paddle as the player's. */
  draw(human: boolean): void {
    const ratio = globalThis.devicePixelRatio || 1;
    const width = Math.round((this.canvas.clientWidth || 640) * ratio), height = Math.round((this.canvas.clientHeight || 480) * ratio);
    if (this.canvas.width !== width || this.canvas.height !== height) { this.canvas.width = width; this.canvas.height = height; }
    const c = this.canvas.getContext('2d');
    if (!c) return;
    const s = this.duel.state, p = this.duel.physics;
    const X = (x: number) => ((x + 1) / 2) * width, Y = (y: number) => ((1 - y) / 2) * height;
    c.fillStyle = '#0a0f22';
    c.fillRect(0, 0, width, height);
    c.strokeStyle = '#222b4d';
    c.setLineDash([8 * ratio, 10 * ratio]);
    c.lineWidth = 2 * ratio;
    c.beginPath(); c.moveTo(width / 2, 0); c.lineTo(width / 2, height); c.stroke();
    c.setLineDash([]);
    c.fillStyle = '#2d3970';
    c.font = `${Math.round(56 * ratio)}px ui-monospace, monospace`;
    c.textAlign = 'center';
    c.fillText(String(s.leftScore), width * 0.3, 70 * ratio);
    c.fillText(String(s.rightScore), width * 0.7, 70 * ratio);
    this.trail.push({ x: s.ballX, y: s.ballY });
    if (this.trail.length > TRAIL) this.trail.shift();
    this.trail.forEach((point, i) => {
      c.fillStyle = `rgba(124, 245, 164, ${(0.25 * i) / TRAIL})`;
      c.beginPath(); c.arc(X(point.x), Y(point.y), (p.ballRadius * width) / 2, 0, Math.PI * 2); c.fill();
    });
    const paddle = (x: number, y: number, color: string) => {
      c.fillStyle = color;
      const w = 0.025 * width;
      c.fillRect(x < 0 ? X(x) - w : X(x), Y(y + p.paddleHalf), w, Y(y - p.paddleHalf) - Y(y + p.paddleHalf));
    };
    paddle(-p.paddleX, s.leftY, human ? '#ffb86b' : '#8fb4ff');
    paddle(p.paddleX, s.rightY, '#e98cff');
    c.fillStyle = '#dfe5ff';
    c.beginPath(); c.arc(X(s.ballX), Y(s.ballY), (p.ballRadius * width) / 2, 0, Math.PI * 2); c.fill();
  }
}
