// The left map panel: layer switches, legend and the covered fractions.
import type { Map as MlMap } from "maplibre-gl";
import { clear, h } from "../dom";
import { t, tc } from "../i18n";
import { COVERAGE, FORCE, PRIORITY, UNIT_STATUS } from "./colors";
import { isVisible, setVisible } from "./layers";

export type PanelState = { available: Set<string>; fractions: [number, number][]; onToggle(group: string, on: boolean): void };
const POST_KINDS: Record<string, string> = { post: "#2dd4bf", station: "#60a5fa", patrol_point: "#f472b6", patrol_line: "#f472b6" };
const ORDER = ["roads", "districts", "zones", "grid", "posts", "coverage", "units", "incidents"];

function swatch(color: string, label: string, ring = false): HTMLElement {
  return h("div", { class: "legend-row" }, h("span", { class: ring ? "dot ring" : "dot", style: ring ? `border-color:${color}` : `background:${color}` }), label);
}

export function renderPanel(el: HTMLElement, map: MlMap, st: PanelState): void {
  const toggles = ORDER.map((g) => {
    const ok = st.available.has(g);
    const box = h("input", { type: "checkbox", checked: ok && isVisible(map, g), disabled: !ok, "data-testid": `layer-${g}` });
    box.addEventListener("change", () => (setVisible(map, g, box.checked), st.onToggle(g, box.checked)));
    return h("label", { class: ok ? "toggle" : "toggle toggle-na" }, box, t(`layer.${g}`), ok ? null : h("small", {}, ` (${t("layer.na")})`));
  });
  const fractions = st.fractions.map(([min, f], i) =>
    h("div", { class: "legend-row" }, h("span", { class: "dot", style: `background:${COVERAGE[i] ?? COVERAGE[2]}` }), t("coverage.fraction", { min: Math.round(min), pct: `${(f * 100).toFixed(1)}%` })),
  );
  clear(el,
    h("h3", {}, t("layers.title")), ...toggles,
    h("h3", {}, t("legend.title")),
    h("div", { class: "legend-cols" },
      h("div", {}, ...["available", "assigned", "en_route", "on_scene", "off_duty", "out_of_service"].map((s) => swatch(UNIT_STATUS[s], tc("st", s)))),
      h("div", {}, ...[1, 2, 3].map((p) => swatch(PRIORITY[String(p)], `${t("layer.incidents")} ${t(`priority.${p}`)}`)),
        ...Object.entries(FORCE).slice(0, 6).map(([k, c]) => swatch(c, tc("force", k), true)),
        ...(st.available.has("posts") ? Object.entries(POST_KINDS).map(([k, c]) => swatch(c, tc("kind", k), true)) : [])),
    ),
    fractions.length ? h("h3", {}, t("layer.coverage")) : null, ...fractions,
  );
}
