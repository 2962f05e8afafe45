// View 1: the live command map.
import maplibregl, { type LngLatBoundsLike, type MapSourceDataEvent, type Map as MlMap } from "maplibre-gl";
import "maplibre-gl/dist/maplibre-gl.css";
import type { FeatureCollection } from "geojson";
import { api, ApiError } from "../api";
import { h } from "../dom";
import { onLangChange, t } from "../i18n";
import { colourDistricts, coverageOf, incidentFeatures, unitFeatures, asCollection } from "../map/features";
import { CLICKABLE, addLayers, reveal, setData } from "../map/layers";
import { featureDetails } from "../map/popup";
import { renderPanel, type PanelState } from "../map/panel";
import { renderQueue, renderSummary } from "../map/queue";
import { BASE_STYLE } from "../map/style";
import type { View } from "../router";
import { can } from "../me";
import { subscribe } from "../store";
import { openIncidentForm } from "./incidentForm";
import { layout } from "./shell";

declare global {
  interface Window { __xunfangFirstPaint?: number; __xunfangFirstPaintLayer?: string; __xunfangMap?: MlMap }
}

const OPTIONAL = ["zones", "posts"];

function bboxOf(fc: FeatureCollection): LngLatBoundsLike | null {
  let [x0, y0, x1, y1] = [180, 90, -180, -90];
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]); y0 = Math.min(y0, c[1] as number); y1 = Math.max(y1, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  fc.features.forEach((f) => visit((f.geometry as { coordinates?: unknown }).coordinates));
  return x0 <= x1 ? [x0, y0, x1, y1] : null;
}

async function fetchLayer(path: string): Promise<unknown | null> {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null;
    throw e;
  }
}

export function mapView(): View {
  const cleanups: (() => void)[] = [];
  return {
    mount(root) {
      const shell = layout(root, "map");
      cleanups.push(shell.dispose);
      const mapEl = h("div", { class: "map", "data-testid": "map" });
      const left = h("aside", { class: "panel panel-left", "data-testid": "layers-panel" });
      const summary = h("div", { class: "unit-summary", "data-testid": "unit-summary" });
      const queue = h("div", {});
      const right = h("aside", { class: "panel panel-right", "data-testid": "queue-panel" }, summary, queue);
      shell.content.append(mapEl, left, right);
      // The roads are fetched while the map initialises, not after: they are the first paint.
      const roadsRequest = fetchLayer("/api/v1/map/roads").catch(() => null);
      const map = new maplibregl.Map({ container: mapEl, style: BASE_STYLE, center: [-87.68, 41.84], zoom: 10, attributionControl: false, fadeDuration: 0, validateStyle: false });
      window.__xunfangMap = map;
      map.addControl(new maplibregl.AttributionControl({ compact: true, customAttribution: "© OpenStreetMap contributors" }));
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
      map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
      let alive = true;
      cleanups.push(() => ((alive = false), map.remove()));
      const panel: PanelState = { available: new Set(["units", "incidents", "grid"]), fractions: [], onToggle: (g, on) => void (g === "grid" && on && loadGrid()) };
      const paintPanels = (): void => void (alive && (renderPanel(left, map, panel), renderQueue(queue), renderSummary(summary)));
      let gridLoaded = false;
      const loadGrid = async (): Promise<void> => {
        if (gridLoaded) return;
        gridLoaded = true;
        const grid = await fetchLayer("/api/v1/map/grid").catch(() => null);
        if (grid) setData(map, "grid", asCollection(grid) ?? { type: "FeatureCollection", features: [] });
        else (panel.available.delete("grid"), paintPanels());
      };
      const loadCoverage = async (): Promise<void> => {
        if (!can("coverage.read")) return;
        const cov = await fetchLayer("/api/v1/coverage").catch(() => null);
        if (!cov || !alive) return;
        const { fc, fractions } = coverageOf(cov);
        setData(map, "coverage", fc);
        reveal(map, "coverage", panel.available);
        panel.fractions = fractions;
        paintPanels();
      };
      map.on("load", () => {
        performance.mark("xf:map-load");
        addLayers(map);
        setData(map, "units", unitFeatures());
        setData(map, "incidents", incidentFeatures());
        cleanups.push(subscribe("units", () => (setData(map, "units", unitFeatures()), renderSummary(summary))));
        cleanups.push(subscribe("incidents", () => (setData(map, "incidents", incidentFeatures()), renderQueue(queue))));
        // First meaningful paint: the first frame after the roads are drawn (or, without a roads
        // endpoint, the units), in ms since navigation start; the e2e test prints it.
        const markPaint = (layer: string): void => {
          const onData = (e: MapSourceDataEvent): void => {
            if (e.sourceId !== layer || !map.isSourceLoaded(layer)) return;
            map.off("sourcedata", onData);
            performance.mark(`xf:${layer}-loaded`);
            map.once("render", () => {
              afterFirstPaint();
              if (window.__xunfangFirstPaint !== undefined) return;
              window.__xunfangFirstPaint = performance.now();
              window.__xunfangFirstPaintLayer = layer;
            });
            map.triggerRepaint();
          };
          map.on("sourcedata", onData);
          if (map.isSourceLoaded(layer) && layer === "units") onData({ sourceId: layer } as MapSourceDataEvent);
        };
        void roadsRequest.then((roads) => {
          performance.mark("xf:roads-json");
          if (!alive) return;
          if (!roads) {
            const box = bboxOf({ type: "FeatureCollection", features: unitFeatures() });
            if (box) map.fitBounds(box, { padding: { top: 30, bottom: 30, left: 280, right: 360 }, animate: false });
            return markPaint("units");
          }
          const fc = asCollection(roads) ?? { type: "FeatureCollection", features: [] };
          // Fit first, so the worker cuts only the tiles of the view that is finally shown.
          const box = bboxOf(fc);
          if (box) map.fitBounds(box, { padding: { top: 30, bottom: 30, left: 280, right: 360 }, animate: false });
          markPaint("roads");
          setData(map, "roads", fc);
          panel.available.add("roads");
          paintPanels();
        });
        // The area layers share the map's worker with the roads: fetch them once the roads are drawn.
        let areasRequested = false;
        const afterFirstPaint = (): void => {
          if (areasRequested || !alive) return;
          areasRequested = true;
          void fetchLayer("/api/v1/map/districts").then((d) => {
            if (d && alive) (setData(map, "districts", colourDistricts(d)), reveal(map, "districts", panel.available), paintPanels());
          });
          for (const name of OPTIONAL) {
            void fetchLayer(`/api/v1/map/${name}`).then((d) => {
              if (d && alive) (setData(map, name, asCollection(d) ?? { type: "FeatureCollection", features: [] }), reveal(map, name, panel.available), paintPanels());
            }).catch(() => undefined);
          }
        };
        // Coverage is computed on request and is heavy: ask for it once the first paint is done.
        window.setTimeout(() => void loadCoverage(), 1500);
        const covTimer = window.setInterval(() => void loadCoverage(), 30000);
        cleanups.push(() => clearInterval(covTimer));
        paintPanels();
      });
      map.on("click", (e) => {
        const layers = CLICKABLE.filter((l) => map.getLayer(l));
        const hit = map.queryRenderedFeatures(e.point, { layers })[0];
        const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "320px" }).setLngLat(e.lngLat);
        if (hit && hit.layer.id !== "roads" && hit.layer.id !== "districts-fill" && hit.layer.id !== "coverage-fill") {
          popup.setDOMContent(featureDetails(hit)).addTo(map);
          return;
        }
        if (!hit && !can("incidents.create")) return;
        const create = can("incidents.create") ? h("button", { class: "btn btn-primary btn-sm", "data-testid": "map-create", onclick: () => (popup.remove(), void openIncidentForm({ lon: e.lngLat.lng, lat: e.lngLat.lat })) }, t("map.create_here")) : null;
        popup.setDOMContent(h("div", { class: "popup" }, hit ? featureDetails(hit) : null, create)).addTo(map);
      });
      for (const l of ["units", "incidents", "posts"]) {
        map.on("mouseenter", l, () => void (map.getCanvas().style.cursor = "pointer"));
        map.on("mouseleave", l, () => void (map.getCanvas().style.cursor = ""));
      }
      cleanups.push(onLangChange(paintPanels));
      paintPanels();
    },
    unmount() {
      cleanups.splice(0).forEach((fn) => fn());
    },
  };
}
