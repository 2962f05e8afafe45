// SLA countdowns: time left to the arrival deadline, then 5 minutes of on-scene handling before
// the hand-over to the owning station is due.
import { h } from "./dom";
import { mmss } from "./format";
import { t } from "./i18n";
import { incidentStatus, incidents, type Incident } from "./store";

const HANDLING_S = 300;

function epoch(v: unknown): number | null {
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

function slaText(inc: Incident, now: number): [string, string] | null {
  const status = incidentStatus(inc);
  if (["received", "dispatched", "en_route"].includes(status)) {
    const due = epoch(inc.deadline_at ?? inc.arrival_deadline ?? inc.deadline);
    if (due === null) return null;
    const left = (due - now) / 1000;
    const cls = left < 0 ? "sla sla-over" : left < 60 ? "sla sla-warn" : "sla";
    return [cls, left < 0 ? t("sla.over", { t: mmss(-left) }) : t("sla.left", { t: mmss(left) })];
  }
  if (status === "on_scene") {
    const since = epoch(inc.on_scene_at);
    if (since === null) return null;
    const left = HANDLING_S - (now - since) / 1000;
    if (left <= 0 || inc.handover_prompted) return ["sla sla-over", t("sla.handover")];
    return [left < 60 ? "sla sla-warn" : "sla", t("sla.left", { t: mmss(left) })];
  }
  return null;
}

/** A countdown badge; one ticker updates every badge on the page in place each second. */
export function slaBadge(inc: Incident): HTMLElement | null {
  const st = slaText(inc, Date.now());
  if (!st) return null;
  return h("span", { class: st[0], "data-testid": "sla", "data-sla": String(inc.id) }, st[1]);
}

export function startSlaTicker(): void {
  window.setInterval(() => {
    const now = Date.now();
    document.querySelectorAll<HTMLElement>("[data-sla]").forEach((el) => {
      const inc = incidents.get(el.dataset.sla ?? "");
      const st = inc ? slaText(inc, now) : null;
      if (!st) return;
      el.className = st[0];
      el.textContent = st[1];
    });
  }, 1000);
}

export function priorityBadge(p: unknown): HTMLElement {
  return h("span", { class: `prio prio-${String(p)}` }, t(`priority.${String(p)}`));
}
