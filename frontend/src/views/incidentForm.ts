// The create-incident dialog, opened from the incidents view or by clicking the map.
import { api } from "../api";
import { connState, isOutage } from "../conn";
import { h, toast } from "../dom";
import { nameOf, t, tc } from "../i18n";
import { enqueue } from "../outbox";
import { categories, categoryOf, loadCategories, upsertIncident, type Incident } from "../store";

const SOURCES = ["call_110", "video_patrol", "drone", "iot_alarm", "community_report", "patrol_found"];

function idempotencyKey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function field(label: string, input: HTMLElement): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, t(label)), input);
}

export async function openIncidentForm(at: { lon: number; lat: number }): Promise<Incident | null> {
  await loadCategories().catch(() => undefined);
  return new Promise((resolve) => {
    const cat = h("select", { name: "category", "data-testid": "form-category" }, categories.map((c) => h("option", { value: c.code }, nameOf(c, c.code))));
    const pri = h("select", { name: "priority", "data-testid": "form-priority" }, [1, 2, 3].map((p) => h("option", { value: p }, t(`priority.${p}`))));
    const syncPriority = (): void => void (pri.value = String(categoryOf(cat.value)?.default_priority ?? 2));
    cat.addEventListener("change", syncPriority);
    syncPriority();
    const src = h("select", { name: "source" }, SOURCES.map((s) => h("option", { value: s }, tc("src", s))));
    const lon = h("input", { name: "lon", type: "number", step: "any", value: at.lon.toFixed(6), "data-testid": "form-lon" });
    const lat = h("input", { name: "lat", type: "number", step: "any", value: at.lat.toFixed(6), "data-testid": "form-lat" });
    const desc = h("textarea", { name: "description", rows: 2, "data-testid": "form-description" });
    const cname = h("input", { name: "caller_name" });
    const cphone = h("input", { name: "caller_phone", type: "tel" });
    const error = h("div", { class: "form-error", role: "alert" });
    const key = idempotencyKey();
    const close = (value: Incident | null): void => (overlay.remove(), resolve(value));
    const submit = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "form-submit" }, t("incident.create"));
    const form = h("form", { class: "modal", "data-testid": "incident-form" },
      h("h2", {}, t("incident.new")),
      h("div", { class: "grid2" }, field("incident.category", cat), field("incident.priority", pri), field("incident.source", src), h("span"), field("incident.lon", lon), field("incident.lat", lat)),
      field("incident.description", desc),
      h("div", { class: "grid2" }, field("incident.caller_name", cname), field("incident.caller_phone", cphone)),
      error,
      h("div", { class: "modal-actions" }, h("button", { class: "btn", type: "button", onclick: () => close(null) }, t("incident.cancel_form")), submit),
    );
    const overlay = h("div", { class: "overlay" }, form);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      const body: Record<string, unknown> = {
        category: cat.value, priority: Number(pri.value), source: src.value, lon: Number(lon.value), lat: Number(lat.value),
        description: desc.value, reported_at: new Date().toISOString(),
      };
      if (cname.value || cphone.value) body.caller = { name: cname.value, phone: cphone.value };
      // Service down: the incident waits in the browser's outbox with this form's key (outbox.ts).
      const queue = (): void => (enqueue(key, body), toast(t("outbox.queued")), close(null));
      if (connState() === "down") return queue();
      try {
        const inc = await api<Incident>("/api/v1/incidents", { method: "POST", json: body, headers: { "Idempotency-Key": key } });
        upsertIncident(inc);
        toast(t("incident.created", { id: String(inc.id) }));
        close(inc);
      } catch (e) {
        if (isOutage(e)) return queue();
        error.textContent = (e as Error).message;
        submit.disabled = false;
      }
    });
    document.body.append(overlay);
    cat.focus();
  });
}
