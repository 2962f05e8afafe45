// Sources and layers of the command map, in drawing order. Colours are computed in JS into a
// `_c` property so one function decides them for the map, the legend and the panels.
import type { GeoJSONSource, Map as MlMap } from "maplibre-gl";
import type { Feature, FeatureCollection } from "geojson";

export const EMPTY: FeatureCollection = { type: "FeatureCollection", features: [] };
export const GROUPS: Record<string, string[]> = {
  districts: ["districts-fill", "districts-line"],
  zones: ["zones-line"],
  grid: ["grid-line"],
  coverage: ["coverage-fill", "coverage-line"],
  roads: ["roads-casing", "roads"],
  posts: ["posts-line", "posts"],
  incidents: ["incidents-halo", "incidents"],
  units: ["units"],
};
const SOURCES = ["districts", "zones", "grid", "coverage", "roads", "posts", "incidents", "units"];
// Hidden until their data arrives (after the roads' first paint): a hidden layer's source cuts no
// tiles, so the map's worker spends the first paint on the roads, units and incidents only.
export const DEFERRED = ["districts", "zones", "grid", "coverage", "posts"];
const C = ["get", "_c"] as const;

export function addLayers(map: MlMap): void {
  for (const id of SOURCES) map.addSource(id, { type: "geojson", data: EMPTY });
  map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": C as never, "fill-opacity": 0.16 } });
  map.addLayer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#64748b", "line-width": 1.2 } });
  map.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#94a3b8", "line-width": 0.8, "line-dasharray": [3, 2] } });
  map.addLayer({ id: "grid-line", type: "line", source: "grid", layout: { visibility: "none" }, paint: { "line-color": "#334155", "line-width": 0.5 } });
  map.addLayer({ id: "coverage-fill", type: "fill", source: "coverage", filter: ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false], paint: { "fill-color": C as never, "fill-opacity": 0.18 } });
  map.addLayer({ id: "roads-casing", type: "line", source: "roads", paint: { "line-color": "#0f172a", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 1.5, 15, 7] } });
  map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#3b4a63", "line-width": ["interpolate", ["linear"], ["zoom"], 9, 0.6, 15, 4] } });
  // Coverage arrives as the road lines reached within 1/3/5 minutes: drawn over the roads, glowing.
  map.addLayer({ id: "coverage-line", type: "line", source: "coverage", filter: ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false], paint: { "line-color": C as never, "line-opacity": 0.5, "line-blur": 1, "line-width": ["interpolate", ["linear"], ["zoom"], 9, 1.2, 15, 5] } });
  map.addLayer({ id: "posts-line", type: "line", source: "posts", filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#f472b6", "line-width": 2.5, "line-dasharray": [2, 1] } });
  map.addLayer({ id: "posts", type: "circle", source: "posts", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 4, "circle-color": "#0a111f", "circle-stroke-color": ["match", ["get", "kind"], "patrol_point", "#f472b6", "station", "#60a5fa", "#2dd4bf"], "circle-stroke-width": 2 } });
  map.addLayer({ id: "incidents-halo", type: "circle", source: "incidents", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 9, 15, 18], "circle-color": C as never, "circle-opacity": 0.25 } });
  map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 4.5, 15, 9], "circle-color": C as never, "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
  map.addLayer({ id: "units", type: "circle", source: "units", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 3, 15, 7], "circle-color": C as never, "circle-stroke-color": ["get", "_f"], "circle-stroke-width": 1.5 } });
  DEFERRED.forEach((group) => setVisible(map, group, false));
}

/** Show a deferred group when its data first arrives (later loads keep the user's choice). */
export function reveal(map: MlMap, group: string, available: Set<string>): void {
  if (!available.has(group)) setVisible(map, group, true);
  available.add(group);
}

export function setData(map: MlMap, id: string, data: FeatureCollection | Feature[]): void {
  const fc: FeatureCollection = Array.isArray(data) ? { type: "FeatureCollection", features: data } : data;
  try {
    (map.getSource(id) as GeoJSONSource | undefined)?.setData(fc);
  } catch {
    /* the map was removed (view left) before this data arrived */
  }
}

export function setVisible(map: MlMap, group: string, visible: boolean): void {
  for (const layer of GROUPS[group] ?? []) map.setLayoutProperty(layer, "visibility", visible ? "visible" : "none");
}

export function isVisible(map: MlMap, group: string): boolean {
  const first = GROUPS[group]?.[0];
  return !!first && !!map.getLayer(first) && map.getLayoutProperty(first, "visibility") !== "none";
}

export const CLICKABLE = ["units", "incidents", "posts", "posts-line", "coverage-fill", "districts-fill", "zones-line", "roads"];
