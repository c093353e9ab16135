import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { Sample } from '../../protocol';
import { samples } from '../store';
import { Panel } from './panel';

const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899'];
const AXIS = '#8891a0';
const HEIGHT = 150;
/** The charts show this much time, however few samples there are yet (uPlot's own range for
 * one sample spans years). */
const WINDOW_S = 300;

/** The x range: the last WINDOW_S seconds up to the newest sample. */
const lastMinutes: uPlot.Range.Function = (_u, _min, max) => {
  const end = Number.isFinite(max) ? max : Date.now() / 1000;
  return [end - WINDOW_S, end];
};

interface Marker {
  time: number;
  label: string;
}

interface ChartData {
  series: { label: string; unit: string }[];
  data: uPlot.AlignedData;
  markers: Marker[];
}

type Compute = (list: readonly Sample[]) => ChartData;

const seconds = (list: readonly Sample[]): number[] => list.map((s) => s.time / 1000);

const lines =
  (defs: { label: string; unit: string; pick: (s: Sample) => number | null }[]): Compute =>
  (list) => ({
    series: defs,
    data: [seconds(list), ...defs.map((def) => list.map(def.pick))],
    markers: [],
  });

/** One line per server's zxid counter; a marker where a server's epoch changes (an election). */
const zxidTimeline: Compute = (list) => {
  const ids = [...new Set(list.flatMap((s) => Object.keys(s.zxids)))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const markers: Marker[] = [];
  const lastEpoch = new Map<string, number>();
  for (const s of list) {
    for (const id of ids) {
      const zxid = s.zxids[id];
      if (zxid === null || zxid === undefined) continue;
      const before = lastEpoch.get(id);
      if (
        before !== undefined &&
        zxid.epoch !== before &&
        !markers.some((m) => Math.abs(m.time - s.time / 1000) < 3)
      ) {
        markers.push({ time: s.time / 1000, label: `epoch ${zxid.epoch}` });
      }
      lastEpoch.set(id, zxid.epoch);
    }
  }
  return {
    series: ids.map((id) => ({ label: `zk${id}`, unit: '' })),
    data: [seconds(list), ...ids.map((id) => list.map((s) => s.zxids[id]?.counter ?? null))],
    markers,
  };
};

function markerPlugin(markers: { current: Marker[] }): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = '#ef4444';
          ctx.fillStyle = '#ef4444';
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
          for (const marker of markers.current) {
            const x = u.valToPos(marker.time, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(marker.label, x + 4 * devicePixelRatio, top + 12 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** A uPlot chart of the last five minutes; it redraws at most once a second. */
function Chart({ title, compute, note }: { title: string; compute: Compute; note?: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    let plot: uPlot | null = null;
    let signature = '';
    let drawn: readonly Sample[] | null = null;
    const markers = { current: [] as Marker[] };
    const draw = () => {
      const list = samples.get();
      if (list === drawn) return;
      drawn = list;
      const chart = compute(list);
      markers.current = chart.markers;
      const nextSignature = chart.series.map((s) => s.label).join('|');
      if (plot !== null && nextSignature === signature) {
        plot.setData(chart.data);
        return;
      }
      plot?.destroy();
      signature = nextSignature;
      plot = new uPlot(
        {
          width: Math.max(200, el.clientWidth),
          height: HEIGHT,
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true, range: lastMinutes } },
          axes: [
            {
              stroke: AXIS,
              grid: { stroke: 'rgba(128,128,128,0.15)' },
              ticks: { stroke: 'rgba(128,128,128,0.3)' },
            },
            {
              stroke: AXIS,
              grid: { stroke: 'rgba(128,128,128,0.15)' },
              ticks: { stroke: 'rgba(128,128,128,0.3)' },
              size: 56,
            },
          ],
          series: [
            {},
            ...chart.series.map((s, i) => ({
              label: s.label,
              stroke: PALETTE[i % PALETTE.length],
              width: 1.5,
              spanGaps: false,
              value: (_u: uPlot, v: number | null) =>
                v === null ? '–' : `${Math.round(v * 10) / 10}${s.unit}`,
            })),
          ],
          plugins: [markerPlugin(markers)],
        },
        chart.data,
        el,
      );
    };
    draw();
    const timer = setInterval(draw, 1000);
    const resize = new ResizeObserver(() =>
      plot?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }),
    );
    resize.observe(el);
    return () => {
      clearInterval(timer);
      resize.disconnect();
      plot?.destroy();
    };
  }, [compute]);
  return (
    <figure className="chart">
      <figcaption>
        {title}
        {note !== undefined && <span className="muted small"> · {note}</span>}
      </figcaption>
      <div ref={box} />
    </figure>
  );
}

const throughput = lines([
  { label: 'requests/s', unit: '/s', pick: (s) => s.requestsPerSec },
  { label: 'writes/s', unit: '/s', pick: (s) => s.writesPerSec },
]);
const latency = lines([
  { label: 'avg', unit: ' ms', pick: (s) => s.latencyAvgMs },
  { label: 'max', unit: ' ms', pick: (s) => s.latencyMaxMs },
]);
const queue = lines([
  { label: 'queue depth', unit: '', pick: (s) => s.queueDepth },
  { label: 'completed/s', unit: '/s', pick: (s) => s.completedPerSec },
]);

export function ChartsPanel() {
  return (
    <Panel name="charts" title="Last 5 minutes" wide>
      <div className="chart-grid">
        <Chart title="Requests and writes" compute={throughput} />
        <Chart title="Latency" compute={latency} />
        <Chart title="Queue" compute={queue} />
        <Chart
          title="zxid timeline"
          compute={zxidTimeline}
          note="counter per server; a new epoch (red) is an election, the slope is the write rate"
        />
      </div>
    </Panel>
  );
}
