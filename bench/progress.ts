const suiteStarted = performance.now();

/** A progress line on stderr (the runner passes it through while the suite runs). */
export function progress(message: string): void {
  const seconds = ((performance.now() - suiteStarted) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[${seconds} s] ${message}\n`);
}
