// View 2: the incident queue with filters, and the selected incident's detail.
import { h } from "../dom";
import { dateTime } from "../format";
import { nameOf, onLangChange, t, tc } from "../i18n";
import { can } from "../me";
import { onOutbox, queued, type Queued } from "../outbox";
import { navigate, type View } from "../router";
import { priorityBadge, slaBadge } from "../sla";
import { categories, categoryOf, incidentStatus, incidents, loadCategories, subscribe, type Incident } from "../store";
import { renderDetail } from "./incidentDetail";
import { openIncidentForm } from "./incidentForm";
import { layout } from "./shell";

const STATUSES = ["received", "dispatched", "en_route", "on_scene", "resolved", "handed_over", "closed", "cancelled"];
type Filters = { status: string; priority: string; category: string; q: string };

function matches(inc: Incident, f: Filters): boolean {
  const st = incidentStatus(inc);
  if (f.status === "open" && ["closed", "cancelled", "resolved", "handed_over"].includes(st)) return false;
  if (f.status && f.status !== "open" && st !== f.status) return false;
  if (f.priority && String(inc.priority) !== f.priority) return false;
  if (f.category && inc.category !== f.category) return false;
  return !f.q || JSON.stringify([inc.id, inc.description, inc.category]).toLowerCase().includes(f.q.toLowerCase());
}

function select(name: keyof Filters, f: Filters, options: [string, string][], onChange: () => void): HTMLSelectElement {
  const el = h("select", { "data-testid": `filter-${name}` }, options.map(([v, label]) => h("option", { value: v }, label)));
  el.value = f[name];
  el.addEventListener("change", () => ((f[name] = el.value), onChange()));
  return el;
}

export function incidentsView(): View {
  const cleanups: (() => void)[] = [];
  const f: Filters = { status: "open", priority: "", category: "", q: "" };
  return {
    mount(root, params) {
      const shell = layout(root, "incidents");
      cleanups.push(shell.dispose);
      const selected = params[0];
      const filters = h("div", { class: "filters" });
      const list = h("ul", { class: "inc-list", "data-testid": "incident-list" });
      const detail = h("section", { class: "inc-detail", "data-testid": "incident-detail" });
      const newBtn = h("button", { class: "btn btn-primary", "data-testid": "new-incident" });
      newBtn.addEventListener("click", async () => {
        const c = window.__xunfangMap?.getCenter();
        const inc = await openIncidentForm({ lon: c?.lng ?? -87.6298, lat: c?.lat ?? 41.8781 });
        if (inc) navigate(`/incidents/${inc.id}`);
      });
      shell.content.append(h("div", { class: "inc-left" }, h("div", { class: "inc-head" }, can("incidents.create") ? newBtn : null), filters, list), detail);
      const paintFilters = (): void => {
        newBtn.textContent = `+ ${t("incident.new")}`;
        const search = h("input", { type: "search", placeholder: t("filter.search"), value: f.q });
        search.addEventListener("input", () => ((f.q = search.value), paintList()));
        filters.replaceChildren(
          select("status", f, [["", t("filter.all")], ["open", t("filter.active")], ...STATUSES.map((s): [string, string] => [s, tc("st", s)])], paintList),
          select("priority", f, [["", t("filter.priority")], ...["1", "2", "3"].map((p): [string, string] => [p, t(`priority.${p}`)])], paintList),
          select("category", f, [["", t("filter.category")], ...categories.map((c): [string, string] => [c.code, nameOf(c, c.code)])], paintList),
          search,
        );
      };
      // Incidents typed while the service was down wait in the outbox: shown first, marked as such.
      const queuedRow = (q: Queued): HTMLElement =>
        h("li", { class: q.error ? "inc-row queued refused" : "inc-row queued", "data-testid": "outbox-row", "data-key": q.key },
          h("div", { class: "qi-top" }, priorityBadge(q.body.priority as number), h("b", {}, nameOf(categoryOf(q.body.category), String(q.body.category ?? ""))), h("span", { class: "muted small" }, String(q.body.description ?? "").slice(0, 40))),
          h("div", { class: "qi-bottom" }, h("span", { class: "status" }, q.error ? `${t("outbox.refused")}: ${q.error}` : t("outbox.pending")), h("span", { class: "muted small" }, dateTime(q.queued_at))));
      const paintList = (): void => {
        const waiting = queued().map(queuedRow);
        const rows = [...incidents.values()].filter((i) => matches(i, f)).sort((a, b) => Number(b.id) - Number(a.id));
        list.replaceChildren(...waiting, ...(rows.length || waiting.length ? rows.slice(0, 300).map((inc) =>
          h("li", { class: String(inc.id) === selected ? "inc-row selected" : "inc-row", "data-testid": "incident-row", onclick: () => navigate(`/incidents/${inc.id}`) },
            h("div", { class: "qi-top" }, priorityBadge(inc.priority), h("b", {}, nameOf(categoryOf(inc.category), String(inc.category ?? ""))), h("span", { class: "muted" }, `#${inc.id}`)),
            h("div", { class: "qi-bottom" }, h("span", { class: `status status-${incidentStatus(inc)}` }, tc("st", incidentStatus(inc))), slaBadge(inc), h("span", { class: "muted small" }, dateTime(inc.received_at ?? inc.reported_at))),
          )) : [h("li", { class: "empty" }, t("queue.empty"))]));
      };
      const repaint = (): void => (paintFilters(), paintList());
      void loadCategories().then(repaint).catch(() => undefined);
      repaint();
      const detailHandle = selected ? renderDetail(detail, selected) : null;
      if (!selected) detail.append(h("div", { class: "empty big" }, t("incident.select")));
      cleanups.push(subscribe("incidents", paintList), onOutbox(paintList), onLangChange(repaint), () => detailHandle?.dispose());
    },
    unmount() {
      cleanups.splice(0).forEach((fn) => fn());
    },
  };
}
