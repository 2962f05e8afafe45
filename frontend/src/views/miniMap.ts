// A small map for analysis results given as GeoJSON (hotspots per method, risk classes): areas,
// lines and points coloured by their first numeric property. Maps are removed with their view.
import maplibregl, { type Map as MlMap } from "maplibre-gl";
import type { FeatureCollection } from "geojson";
import { h } from "../dom";
import { BASE_STYLE } from "../map/style";

const live = new Set<MlMap>();

function numericKey(fc: FeatureCollection): string | null {
  const props = fc.features.find((f) => f.properties)?.properties ?? {};
  return Object.keys(props).find((k) => typeof props[k] === "number" && !/^(id|fid|index)$/i.test(k)) ?? null;
}

function extent(fc: FeatureCollection): [number, number, number, number] | null {
  let b: [number, number, number, number] = [180, 90, -180, -90];
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") b = [Math.min(b[0], c[0]), Math.min(b[1], c[1] as number), Math.max(b[2], c[0]), Math.max(b[3], c[1] as number)];
    else if (Array.isArray(c)) c.forEach(visit);
  };
  fc.features.forEach((f) => visit((f.geometry as { coordinates?: unknown } | null)?.coordinates));
  return b[0] <= b[2] ? b : null;
}

export function miniMap(fc: FeatureCollection): HTMLElement {
  const el = h("div", { class: "mini-map", "data-testid": "mini-map" });
  const key = numericKey(fc);
  const values = key ? fc.features.map((f) => Number(f.properties?.[key])).filter(Number.isFinite) : [];
  const [lo, hi] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  const colour = key && hi > lo
    ? ["interpolate", ["linear"], ["to-number", ["get", key]], lo, "#1e3a8a", (lo + hi) / 2, "#eab308", hi, "#dc2626"]
    : "#f97316";
  requestAnimationFrame(() => {
    const map = new maplibregl.Map({ container: el, style: BASE_STYLE, attributionControl: false, fadeDuration: 0 });
    live.add(map);
    map.on("load", () => {
      map.addSource("r", { type: "geojson", data: fc });
      map.addLayer({ id: "f", type: "fill", source: "r", filter: ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false], paint: { "fill-color": colour as never, "fill-opacity": 0.6, "fill-outline-color": "#0a111f" } });
      map.addLayer({ id: "l", type: "line", source: "r", filter: ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false], paint: { "line-color": colour as never, "line-width": 2 } });
      map.addLayer({ id: "p", type: "circle", source: "r", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-color": colour as never, "circle-radius": 4 } });
      const b = extent(fc);
      if (b) map.fitBounds(b, { padding: 20, animate: false });
    });
  });
  return el;
}

export function disposeMiniMaps(): void {
  live.forEach((m) => m.remove());
  live.clear();
}
