// One incident: header with SLA, status steps, recommendations with one-click dispatch, assigned
// units with their live status, and the event history.
import { api, itemsOf } from "../api";
import { clear, h, toast } from "../dom";
import { dateTime, metres, mmss } from "../format";
import { nameOf, onLangChange, t, tc } from "../i18n";
import { can } from "../me";
import { priorityBadge, slaBadge } from "../sla";
import { categoryOf, incidentStatus, incidents, loadUnits, refreshIncident, subscribe, units, type Incident } from "../store";

type Rec = { unit_id: string; force_type?: string; eta_s: number | null; distance_m: number | null; tier_min: number | null; eligible: boolean; reasons: unknown[] };
type Ev = { type?: string; actor?: string; at?: string; before?: unknown; after?: unknown; note?: string; data?: Record<string, unknown>; [k: string]: unknown };
const STEPS: Record<string, string[]> = {
  received: ["cancel"],
  dispatched: ["en_route", "arrived", "cancel"],
  en_route: ["arrived", "cancel"],
  on_scene: ["resolved", "handover", "cancel"],
  resolved: ["close"],
  handed_over: ["close"],
};

function reasonText(r: unknown): string {
  if (typeof r === "string") return r;
  const o = r as Record<string, unknown>;
  return nameOf(o, String(o.message ?? o.code ?? JSON.stringify(r)));
}

function assignedUnitIds(inc: Incident, events: Ev[]): string[] {
  const ids = new Set<string>();
  const list = (inc.assignments ?? inc.units ?? []) as unknown[];
  for (const a of list) ids.add(String(typeof a === "object" && a ? ((a as Record<string, unknown>).unit_id ?? (a as Record<string, unknown>).id) : a));
  for (const e of events) {
    const uid = e.unit_id ?? e.data?.unit_id ?? (e.after as Record<string, unknown> | null)?.unit_id;
    if (e.type === "assign" && uid !== undefined) ids.add(String(uid));
  }
  return [...ids];
}

export function renderDetail(el: HTMLElement, id: string): { dispose(): void } {
  let inc: Incident | null = null;
  let recs: Rec[] = [];
  let recError = "";
  const paint = (): void => {
    if (!inc) return void el.replaceChildren(h("div", { class: "empty" }, t("loading")));
    const status = incidentStatus(inc);
    const events = (inc.events ?? []) as Ev[];
    const steps = (can("incidents.events") ? (STEPS[status] ?? []) : []).map((s) => h("button", { class: s === "cancel" ? "btn btn-danger" : "btn", "data-testid": `step-${s}`, onclick: () => void step(s) }, t(`step.${s}`)));
    const assigned = assignedUnitIds(inc, events).map((uid) => {
      const u = units.get(uid);
      return h("li", { class: "assigned" }, h("b", {}, String(u?.name ?? uid)), h("span", { class: "muted" }, tc("force", u?.force_type)),
        h("span", { class: `status status-${String(u?.status)}`, "data-testid": "assigned-unit-status", "data-unit": uid, "data-status": String(u?.status) }, tc("st", u?.status)));
    });
    clear(el,
      h("div", { class: "detail-head" },
        priorityBadge(inc.priority), h("h2", {}, `#${inc.id} `, nameOf(categoryOf(inc.category), String(inc.category))),
        h("span", { class: `status status-${status}`, "data-testid": "incident-status" }, tc("st", status)), slaBadge(inc)),
      h("div", { class: "detail-meta" },
        meta("incident.source", tc("src", inc.source)), meta("incident.reported_at", dateTime(inc.reported_at)),
        meta("incident.tier", inc.tier_min ? t("tier.n", { n: String(inc.tier_min) }) : ""), meta("incident.deadline", dateTime(inc.deadline_at)),
        meta("incident.station", String(inc.station_code ?? inc.station ?? "")), callerMeta(inc), meta("incident.location", `${inc.lon?.toFixed(5)}, ${inc.lat?.toFixed(5)}`)),
      inc.description ? h("p", { class: "desc" }, String(inc.description)) : null,
      h("div", { class: "steps" }, steps),
      h("h3", {}, t("assign.title")), assigned.length ? h("ul", { class: "assigned-list" }, assigned) : h("div", { class: "muted" }, "—"),
      can("incidents.dispatch") ? [h("h3", {}, t("rec.title")), recTable()] : null,
      h("h3", {}, t("events.title")), eventList(events),
    );
  };
  // Caller identity is shown only when the API sends it (never to volunteers); else "withheld".
  const callerMeta = (i: Incident): HTMLElement | null => {
    const c = i.caller as { name?: string | null; phone?: string | null } | null | undefined;
    if (c) return meta("incident.caller_name", [c.name, c.phone].filter(Boolean).join(" · "));
    return i.caller_withheld ? meta("incident.caller_name", t("caller.withheld")) : null;
  };
  const meta = (label: string, value: string): HTMLElement => h("div", {}, h("small", {}, t(label)), h("span", {}, value));
  const recTable = (): HTMLElement => {
    if (recError) return h("div", { class: "form-error" }, recError);
    if (!recs.length) return h("div", { class: "muted" }, t("rec.none"));
    const open = !["resolved", "handed_over", "closed", "cancelled"].includes(incidentStatus(inc!));
    return h("table", { class: "table", "data-testid": "recommendations" },
      h("thead", {}, h("tr", {}, ["rec.unit", "rec.force", "rec.eta", "rec.distance", "rec.tier", "rec.eligible", "rec.reasons", ""].map((k) => h("th", {}, k ? t(k) : "")))),
      h("tbody", {}, recs.slice(0, 12).map((r) => {
        const u = units.get(String(r.unit_id));
        return h("tr", { class: r.eligible ? "" : "ineligible", "data-testid": "rec-row", "data-force": String(r.force_type ?? u?.force_type) },
          h("td", {}, String(u?.name ?? r.unit_id)), h("td", {}, tc("force", r.force_type ?? u?.force_type)), h("td", { class: "num" }, r.eta_s === null ? "—" : mmss(r.eta_s)),
          h("td", { class: "num" }, metres(r.distance_m)), h("td", {}, r.tier_min ? h("span", { class: `tier tier-${r.tier_min}` }, t("tier.n", { n: r.tier_min })) : "—"),
          h("td", {}, r.eligible ? t("yes") : t("no")), h("td", { class: "reasons" }, (r.reasons ?? []).map(reasonText).join("; ")),
          h("td", {}, open && r.eligible && can("incidents.dispatch") ? h("button", { class: "btn btn-primary btn-sm", "data-testid": "dispatch", onclick: () => void dispatch(r.unit_id) }, t("rec.dispatch")) : null));
      })));
  };
  const eventList = (events: Ev[]): HTMLElement =>
    h("ol", { class: "events", "data-testid": "events" }, [...events].reverse().map((e) =>
      h("li", {}, h("span", { class: "muted" }, dateTime(e.at)), h("b", {}, tc("step", e.type)), h("span", {}, `${e.actor ?? ""} ${e.note ?? ""}`),
        e.unit_id ? h("span", { class: "muted" }, String(units.get(String(e.unit_id))?.name ?? e.unit_id)) : null,
        e.after_status ? h("span", { class: "muted small" }, `${tc("st", e.before_status)} → ${tc("st", e.after_status)}`) : null)));
  const load = async (): Promise<void> => {
    inc = await refreshIncident(id);
    paint();
    if (!can("incidents.dispatch")) return; // the API would refuse the recommendations
    try {
      recs = itemsOf<Rec>(await api(`/api/v1/incidents/${id}/recommendations`));
      recError = "";
    } catch (e) {
      recError = (e as Error).message;
    }
    paint();
  };
  const dispatch = async (unitId: string): Promise<void> => {
    try {
      await api(`/api/v1/incidents/${id}/assignments`, { method: "POST", json: { unit_id: unitId } });
      toast(t("rec.dispatched", { unit: String(units.get(unitId)?.name ?? unitId) }));
      await Promise.all([load(), loadUnits()]);
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const step = async (type: string): Promise<void> => {
    try {
      await api(`/api/v1/incidents/${id}/events`, { method: "POST", json: { type } });
      toast(t("step.done", { step: t(`step.${type}`) }));
      await Promise.all([load(), loadUnits()]);
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  paint();
  void load().catch((e) => el.replaceChildren(h("div", { class: "form-error" }, (e as Error).message)));
  let lastSeen = "";
  const offInc = subscribe("incidents", () => {
    const cur = incidents.get(id);
    const sig = JSON.stringify([cur?.status, cur?.updated_at, (cur?.events as unknown[] | undefined)?.length]);
    if (cur && sig !== lastSeen) ((lastSeen = sig), (inc = cur), paint());
  });
  // Positions arrive many times a second: only the assigned units' status badges are refreshed.
  const offUnits = subscribe("units", () => {
    el.querySelectorAll<HTMLElement>("[data-unit]").forEach((b) => {
      const u = units.get(b.dataset.unit ?? "");
      if (!u || b.dataset.status === u.status) return;
      b.dataset.status = String(u.status);
      b.className = `status status-${String(u.status)}`;
      b.textContent = tc("st", u.status);
    });
  });
  const offLang = onLangChange(paint);
  return { dispose: () => (offInc(), offUnits(), offLang()) };
}
