/**
 * Small charts drawn as inline SVG from the report data: no chart library for a handful of bars.
 * Each is an image with a text alternative; the table next to it carries the same figures for
 * screen readers and for copying.
 */

export interface BarSeries {
  name: string;
  /** CSS class giving the bar its colour (`.bar-0`, `.bar-1`). */
  tone: number;
}

export interface BarGroup {
  label: string;
  /** One value per series; null = nothing counted (no bar, a dash). */
  values: (number | null)[];
}

/**
 * Horizontal bars, one row per group, one bar per series, against `max` (e.g. 1 for a share).
 * `format` writes each value at the end of its bar.
 */
export function BarChart(props: {
  title: string;
  series: BarSeries[];
  groups: BarGroup[];
  max: number;
  format: (value: number) => string;
}) {
  const labelWidth = 120;
  const width = 440;
  const barHeight = 14;
  const rowHeight = props.series.length * (barHeight + 2) + 10;
  const plot = width - labelWidth - 56;
  const height = props.groups.length * rowHeight + (props.series.length > 1 ? 22 : 4);
  const legendY = props.groups.length * rowHeight + 14;
  return (
    <svg
      class="chart"
      role="img"
      aria-label={props.title}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
    >
      <title>{props.title}</title>
      {props.groups.map((g, row) => (
        <g key={g.label} transform={`translate(0 ${row * rowHeight + 4})`}>
          <text x={labelWidth - 8} y={(rowHeight - 10) / 2 + 4} text-anchor="end" class="chart-label">
            {g.label}
          </text>
          {g.values.map((v, i) => {
            const y = i * (barHeight + 2);
            const w = v === null || props.max === 0 ? 0 : Math.max(1, (v / props.max) * plot);
            return (
              <g key={props.series[i]?.name}>
                <rect
                  x={labelWidth}
                  y={y}
                  width={w}
                  height={barHeight}
                  class={`bar-${props.series[i]?.tone}`}
                />
                <text x={labelWidth + w + 4} y={y + barHeight - 3} class="chart-value">
                  {v === null ? '—' : props.format(v)}
                </text>
              </g>
            );
          })}
        </g>
      ))}
      {props.series.length > 1
        ? props.series.map((s, i) => (
            <g key={s.name} transform={`translate(${labelWidth + i * 150} ${legendY - 10})`}>
              <rect width="10" height="10" class={`bar-${s.tone}`} />
              <text x="14" y="9" class="chart-label">
                {s.name}
              </text>
            </g>
          ))
        : null}
    </svg>
  );
}

/** A row of small columns (e.g. resolutions per week), highest = full height; the last one stressed. */
export function Sparkline(props: { title: string; values: number[]; stressLast?: boolean }) {
  const column = 8;
  const height = 24;
  const max = Math.max(1, ...props.values);
  return (
    <svg
      class="sparkline"
      role="img"
      aria-label={props.title}
      width={props.values.length * (column + 2)}
      height={height}
    >
      <title>{props.title}</title>
      {props.values.map((v, i) => {
        const h = v === 0 ? 1 : Math.max(2, (v / max) * height);
        return (
          <rect
            key={i}
            x={i * (column + 2)}
            y={height - h}
            width={column}
            height={h}
            class={props.stressLast && i === props.values.length - 1 ? 'bar-1' : 'bar-0'}
          />
        );
      })}
    </svg>
  );
}
