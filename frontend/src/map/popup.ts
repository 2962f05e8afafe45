// Details of whatever was clicked on the map, as an HTML popup (system fonts render Chinese).
import type { MapGeoJSONFeature } from "maplibre-gl";
import { h } from "../dom";
import { nameOf, t, tc } from "../i18n";
import { navigate } from "../router";
import { categoryOf, incidents, units } from "../store";

function rows(props: Record<string, unknown>): HTMLElement {
  const entries = Object.entries(props).filter(([k, v]) => !k.startsWith("_") && v !== null && typeof v !== "object");
  return h("table", { class: "kv" }, entries.slice(0, 14).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, String(v)))));
}

export function featureDetails(f: MapGeoJSONFeature): HTMLElement {
  const p = (f.properties ?? {}) as Record<string, unknown>;
  if (f.layer.id === "units") {
    const u = units.get(String(p.id)) ?? p;
    return h("div", { class: "popup" },
      h("h4", {}, String(u.name ?? u.id)),
      h("div", {}, tc("force", u.force_type), " · ", tc("mode", u.mode)),
      h("div", { class: `status status-${String(u.status)}` }, tc("st", u.status)),
      rows({ id: u.id, station: (u.station_code ?? u.station) as unknown, fix: u.fix_at }),
    );
  }
  if (f.layer.id === "incidents") {
    const inc = incidents.get(String(p.id)) ?? p;
    return h("div", { class: "popup" },
      h("h4", {}, `#${String(inc.id)} `, nameOf(categoryOf(inc.category), String(inc.category))),
      h("div", {}, t(`priority.${String(inc.priority)}`), " · ", tc("st", inc.status)),
      h("button", { class: "btn btn-primary btn-sm", onclick: () => navigate(`/incidents/${String(inc.id)}`) }, t("map.details")),
    );
  }
  const title = nameOf(p, String(p.name ?? p.code ?? f.layer.id));
  const kind = typeof p.kind === "string" ? h("div", {}, tc("kind", p.kind), p.source === "stations" ? ` · ${t("posts.from_stations")}` : "") : null;
  return h("div", { class: "popup" }, h("h4", {}, p.kind ? `${tc("kind", p.kind)} ${String(p.id ?? "")}` : title), kind, p.risk_class !== undefined ? h("div", {}, tc("risk", p.risk_class)) : null, rows(p));
}
