/**
 * Line charts as SVG text: enough for the simulator's two charts (backlog over time, compliance
 * against staffing) without a charting dependency. Values are plotted on linear axes from 0.
 */
export interface Series {
  name: string;
  points: [x: number, y: number][];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Where the x ticks go; defaults to round steps over the range. */
  xTicks?: number[];
  /** A horizontal reference line, e.g. the target share. */
  yLine?: { value: number; label: string };
  yMax?: number;
}

const width = 720;
const height = 360;
const margin = { top: 40, right: 150, bottom: 50, left: 60 };
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Round tick steps (1, 2, 5 × 10^n) giving at most `count` intervals. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
  const intervals = Math.ceil(max / step - 1e-9);
  return Array.from({ length: intervals + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

const label = (n: number) => (Math.abs(n) >= 1000 ? n.toLocaleString('en-US') : String(n));

/** The chart as a standalone SVG document. */
export function lineChartSvg(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yTicks = niceTicks(chart.yMax ?? Math.max(1e-9, ...all.map(([, y]) => y), chart.yLine?.value ?? 0));
  const yMax = yTicks[yTicks.length - 1] || 1;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (x: number) => margin.left + (xMax === xMin ? plotW / 2 : ((x - xMin) / (xMax - xMin)) * plotW);
  const py = (y: number) => margin.top + plotH - (y / yMax) * plotH;
  const f = (n: number) => n.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(chart.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${xmlText(chart.title)}</text>`,
  ];
  for (const t of yTicks) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${f(py(t))}" y2="${f(py(t))}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${f(py(t) + 4)}" text-anchor="end">${label(t)}</text>`,
    );
  }
  const xTickValues =
    chart.xTicks ??
    niceTicks(xMax - xMin, 6)
      .map((t) => t + xMin)
      .filter((t) => t <= xMax + 1e-9);
  for (const x of xTickValues) {
    const text = label(Number(x.toPrecision(6)));
    parts.push(
      `<text x="${f(px(x))}" y="${margin.top + plotH + 18}" text-anchor="middle">${xmlText(text)}</text>`,
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${xmlText(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(chart.yLabel)}</text>`,
  );
  if (chart.yLine) {
    const y = f(py(chart.yLine.value));
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${margin.left + 6}" y="${Number(y) - 4}" fill="#555">${xmlText(chart.yLine.label)}</text>`,
    );
  }
  chart.series.forEach((s, i) => {
    const colour = palette[i % palette.length];
    const d = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${f(px(x))} ${f(py(y))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    if (s.points.length <= 30) {
      for (const [x, y] of s.points) {
        parts.push(`<circle cx="${f(px(x))}" cy="${f(py(y))}" r="3" fill="${colour}"/>`);
      }
    }
    const ly = margin.top + 10 + i * 18;
    parts.push(
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 32}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${width - margin.right + 38}" y="${ly + 4}">${xmlText(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
