// The right map panel: open incidents by urgency with SLA countdowns, and the unit summary.
import { h } from "../dom";
import { nameOf, t, tc } from "../i18n";
import { navigate } from "../router";
import { priorityBadge, slaBadge } from "../sla";
import { categoryOf, incidentStatus, incidents, units, type Incident } from "../store";

const OPEN = new Set(["received", "dispatched", "en_route", "on_scene"]);

export function openIncidents(): Incident[] {
  return [...incidents.values()]
    .filter((i) => OPEN.has(incidentStatus(i)))
    .sort((a, b) => Number(a.priority ?? 9) - Number(b.priority ?? 9) || String(a.deadline_at ?? "").localeCompare(String(b.deadline_at ?? "")));
}

export function renderSummary(el: HTMLElement): void {
  const all = [...units.values()];
  const available = all.filter((u) => u.status === "available").length;
  el.textContent = t("units.summary", { n: all.length, a: available });
}

export function renderQueue(el: HTMLElement): void {
  const rows = openIncidents().slice(0, 60).map((inc) =>
    h("li", { class: `queue-item st-${incidentStatus(inc)}`, "data-testid": "queue-item", onclick: () => navigate(`/incidents/${inc.id}`) },
      h("div", { class: "qi-top" }, priorityBadge(inc.priority), h("b", {}, nameOf(categoryOf(inc.category), String(inc.category ?? ""))), h("span", { class: "muted" }, `#${inc.id}`)),
      h("div", { class: "qi-bottom" }, h("span", { class: `status status-${incidentStatus(inc)}` }, tc("st", incidentStatus(inc))), slaBadge(inc)),
    ),
  );
  el.replaceChildren(
    h("h3", {}, t("queue.title"), h("span", { class: "count" }, String(rows.length))),
    rows.length ? h("ul", { class: "queue" }, rows) : h("div", { class: "empty" }, t("queue.empty")),
  );
}
