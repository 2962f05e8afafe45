// Renders whatever an analysis or planning endpoint returns: tables for lists of records, an
// hour × weekday heatmap for numeric matrices, coloured rows for warnings, key/value for the rest.
import { h } from "../dom";
import type { FeatureCollection } from "geojson";
import { nameOf, tc } from "../i18n";
import { miniMap } from "./miniMap";

type Obj = Record<string, unknown>;
const LEVEL_KEYS = ["level", "severity", "colour", "color", "warning"];

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (typeof v === "object") return JSON.stringify(v).slice(0, 80);
  return String(v);
}

function isMatrix(v: unknown): v is number[][] {
  return Array.isArray(v) && v.length > 1 && v.every((r) => Array.isArray(r) && r.length > 1 && r.every((x) => typeof x === "number"));
}

export function heatmap(m: number[][]): HTMLElement {
  const max = Math.max(...m.flat(), 1e-9);
  return h("div", { class: "heatmap", style: `grid-template-columns: repeat(${m[0].length}, 1fr)` },
    m.flat().map((v) => h("span", { title: cell(v), style: `background: rgba(239,68,68,${(0.06 + (0.94 * v) / max).toFixed(3)})` })));
}

/** A curve (e.g. a hit-rate curve) as an inline SVG line with its range. */
export function sparkline(v: number[]): HTMLElement {
  const [lo, hi] = [Math.min(...v), Math.max(...v)];
  const span = hi - lo || 1;
  const pts = v.map((y, i) => `${((i / (v.length - 1)) * 400).toFixed(1)},${(100 - ((y - lo) / span) * 100).toFixed(1)}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "-2 -2 404 104");
  svg.setAttribute("class", "spark");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts);
  svg.append(line);
  return h("div", { class: "spark-wrap" }, svg, h("span", { class: "muted small" }, `${cell(lo)} – ${cell(hi)} (n=${v.length})`));
}

export function table(rows: Obj[]): HTMLElement {
  const cols = [...new Set(rows.slice(0, 50).flatMap((r) => Object.keys(r)))].filter((c) => c !== "geometry").slice(0, 12);
  return h("div", { class: "table-wrap" }, h("table", { class: "table" },
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", {}, c)))),
    h("tbody", {}, rows.slice(0, 200).map((r) => {
      const level = LEVEL_KEYS.map((k) => r[k]).find((v) => typeof v === "string");
      return h("tr", { class: level ? `lvl lvl-${String(level)}` : "" }, cols.map((c) => h("td", {}, c === "level" ? tc("warn", r[c]) : c === "risk_class" ? tc("risk", r[c]) : cell(r[c]))));
    }))));
}

export function renderAny(data: unknown, depth = 0): HTMLElement {
  if (data === null || data === undefined) return h("div", { class: "muted" }, "—");
  if (isMatrix(data)) return heatmap(data);
  if (Array.isArray(data)) {
    if (data.length && data.every((r) => r && typeof r === "object" && !Array.isArray(r))) return table(data as Obj[]);
    if (data.length > 3 && data.every((x) => typeof x === "number")) return sparkline(data as number[]);
    return h("div", {}, data.slice(0, 50).map(cell).join(", "));
  }
  if (typeof data !== "object") return h("div", {}, cell(data));
  const o = data as Obj;
  if (o.type === "FeatureCollection" && Array.isArray(o.features)) {
    return h("div", {}, miniMap(o as unknown as FeatureCollection), table((o.features as Obj[]).map((f) => (f.properties ?? {}) as Obj)));
  }
  const scalars = Object.entries(o).filter(([, v]) => v === null || typeof v !== "object");
  const nested = Object.entries(o).filter(([, v]) => v !== null && typeof v === "object");
  return h("div", { class: depth ? "nested" : "" },
    scalars.length ? h("table", { class: "kv" }, scalars.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, cell(v))))) : null,
    nested.map(([k, v]) => h("section", { class: "block" }, h("h4", {}, nameOf(v as Obj, k)), depth < 3 ? renderAny(v, depth + 1) : cell(v))));
}
