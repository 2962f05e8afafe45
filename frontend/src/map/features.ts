// Store objects and API payloads → GeoJSON features with their display colours.
import type { Feature, FeatureCollection } from "geojson";
import { incidentStatus, incidents, units } from "../store";
import { COVERAGE, FORCE, PRIORITY, UNIT_STATUS, pick, riskColor } from "./colors";

const CLOSED = new Set(["closed", "cancelled", "resolved", "handed_over"]);

export function unitFeatures(): Feature[] {
  const out: Feature[] = [];
  for (const u of units.values()) {
    if (typeof u.lon !== "number" || typeof u.lat !== "number") continue;
    out.push({
      type: "Feature",
      id: typeof u.id === "number" ? u.id : undefined,
      geometry: { type: "Point", coordinates: [u.lon, u.lat] },
      properties: { id: u.id, kind: "unit", force_type: u.force_type, status: u.status, _c: pick(UNIT_STATUS, u.status), _f: pick(FORCE, u.force_type, "#e2e8f0") },
    });
  }
  return out;
}

export function incidentFeatures(): Feature[] {
  const out: Feature[] = [];
  for (const inc of incidents.values()) {
    const status = incidentStatus(inc);
    if (CLOSED.has(status) || typeof inc.lon !== "number" || typeof inc.lat !== "number") continue;
    out.push({
      type: "Feature",
      geometry: { type: "Point", coordinates: [inc.lon, inc.lat] },
      properties: { id: inc.id, kind: "incident", category: inc.category, priority: inc.priority, status, _c: pick(PRIORITY, inc.priority, "#eab308") },
    });
  }
  return out;
}

function asCollection(data: unknown): FeatureCollection | null {
  const d = data as Record<string, unknown> | null;
  if (!d || typeof d !== "object") return null;
  if (d.type === "FeatureCollection" && Array.isArray(d.features)) return d as unknown as FeatureCollection;
  for (const key of ["geojson", "coverage", "features", "areas"]) {
    const inner = asCollection(d[key]);
    if (inner) return inner;
  }
  return null;
}

export function colourDistricts(data: unknown): FeatureCollection {
  const fc = asCollection(data) ?? { type: "FeatureCollection", features: [] };
  for (const f of fc.features) {
    const p = (f.properties ??= {});
    p._c = riskColor(p.risk_class ?? p.risk ?? p.class);
  }
  return fc;
}

function tierMinutes(p: Record<string, unknown>): number {
  for (const key of ["tier_min", "minutes", "tier", "threshold_min"]) if (typeof p[key] === "number") return p[key] as number;
  if (typeof p.threshold_s === "number") return p.threshold_s / 60;
  if (typeof p.seconds === "number") return p.seconds / 60;
  return 5;
}

export type Coverage = { fc: FeatureCollection; fractions: [number, number][] };

/** The coverage answer: polygons coloured 1/3/5 min (largest drawn first) and covered fractions. */
export function coverageOf(data: unknown): Coverage {
  const fc = asCollection(data) ?? { type: "FeatureCollection", features: [] };
  const tiers = [...new Set(fc.features.map((f) => tierMinutes(f.properties ?? {})))].sort((a, b) => a - b);
  for (const f of fc.features) {
    const p = (f.properties ??= {});
    p._c = COVERAGE[Math.min(COVERAGE.length - 1, tiers.indexOf(tierMinutes(p)))];
  }
  fc.features.sort((a, b) => tierMinutes(b.properties ?? {}) - tierMinutes(a.properties ?? {}));
  return { fc, fractions: fractionsOf(data, fc) };
}

function fractionsOf(data: unknown, fc: FeatureCollection): [number, number][] {
  const d = (data ?? {}) as Record<string, unknown>;
  const raw = d.fractions ?? d.covered_fractions ?? d.covered;
  const out: [number, number][] = [];
  if (raw && typeof raw === "object" && !Array.isArray(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      const n = Number(String(k).replace(/[^0-9.]/g, ""));
      if (typeof v === "number") out.push([k.endsWith("s") || n >= 30 ? n / 60 : n, v]);
    }
  } else {
    for (const f of fc.features) {
      const p = f.properties ?? {};
      const v = p.fraction ?? p.covered_fraction;
      if (typeof v === "number") out.push([tierMinutes(p), v]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]);
}

export { asCollection };
