/** Progress bar on stderr: redrawn every 250 ms on a terminal, one line every 10 s otherwise. */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    public total: number,
    private readonly stream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const now = Date.now();
    const interval = this.stream.isTTY ? 250 : 10_000;
    if (now - this.last < interval && done < this.total) return;
    this.last = now;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.started) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    const text = `\r${this.label} [${bar}] ${(frac * 100).toFixed(1).padStart(5)}% ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s ${extra}`;
    if (this.stream.isTTY) this.stream.write(text.padEnd(100));
    else this.stream.write(`${text.trim()}\n`);
  }

  done(extra = ''): void {
    this.last = 0;
    this.update(this.total, extra);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
