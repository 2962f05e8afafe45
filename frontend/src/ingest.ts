// Applies one live message to the store. The feed carries incident, assignment, deadline and unit
// events; this reads them by shape (a unit, a batch of positions, an incident) so small changes in
// the service's envelope do not break the map.
import type { Id, Incident, Unit } from "./store";
import { applyPosition, incidents, loadUnits, refreshIncident, upsertIncident, upsertUnit } from "./store";

type Msg = Record<string, unknown>;
const pendingRefresh = new Set<string>();
let refreshTimer = 0;

function isPosition(m: Msg): m is Msg & { unit_id: Id; lon: number; lat: number } {
  return m.unit_id !== undefined && typeof m.lon === "number" && typeof m.lat === "number";
}

function scheduleRefresh(id: Id): void {
  pendingRefresh.add(String(id));
  if (refreshTimer) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = 0;
    const ids = [...pendingRefresh];
    pendingRefresh.clear();
    ids.forEach((i) => void refreshIncident(i).catch(() => undefined));
  }, 150);
}

// Unit status is not carried by assignment and incident events; the unit list is re-read (at
// most every 300 ms) when one arrives.
let unitsTimer = 0;
function scheduleUnitsReload(): void {
  if (unitsTimer) return;
  unitsTimer = window.setTimeout(() => {
    unitsTimer = 0;
    void loadUnits().catch(() => undefined);
  }, 300);
}

const INCIDENT_FIELDS = ["status", "category", "priority", "lon", "lat", "tier_min", "station"];

function applyUnit(u: Msg): void {
  if (u.id === undefined && u.unit_id !== undefined) u = { ...u, id: u.unit_id };
  if (u.id !== undefined) upsertUnit(u as Unit);
}

export function ingest(msg: unknown, eventName?: string): void {
  if (Array.isArray(msg)) return msg.forEach((m) => ingest(m, eventName));
  if (!msg || typeof msg !== "object") return;
  const m = msg as Msg;
  const payload = (m.data && typeof m.data === "object" ? m.data : m) as Msg;
  const kind = String(m.type ?? m.kind ?? eventName ?? "");
  for (const key of ["positions", "items"]) {
    const list = payload[key];
    if (Array.isArray(list)) list.forEach((p) => (isPosition(p as Msg) ? applyPosition(p as never) : applyUnit(p as Msg)));
  }
  if (isPosition(payload)) applyPosition(payload);
  if (Array.isArray(payload.units)) payload.units.forEach((u) => applyUnit(u as Msg));
  if (payload.unit && typeof payload.unit === "object") applyUnit(payload.unit as Msg);
  if (kind.startsWith("unit") && payload.id !== undefined && !isPosition(payload)) applyUnit(payload);
  if (payload.unit_id !== undefined && typeof payload.unit_status === "string") {
    upsertUnit({ id: payload.unit_id as Id, status: payload.unit_status });
  }
  const inc = payload.incident;
  if (inc && typeof inc === "object" && (inc as Msg).id !== undefined) upsertIncident(inc as Incident);
  else if (kind.startsWith("incident") && payload.id !== undefined && payload.category) {
    upsertIncident(payload as Incident);
  }
  const incId = payload.incident_id ?? (kind.startsWith("incident") ? payload.id : undefined);
  if (kind === "incident" && payload.incident_id !== undefined) {
    const patch: Msg = { id: payload.incident_id };
    for (const f of INCIDENT_FIELDS) if (payload[f] !== undefined) patch[f] = payload[f];
    upsertIncident(patch as Incident);
  }
  if (kind === "assignment" || (kind === "incident" && payload.event) || kind === "deadline") {
    scheduleUnitsReload();
  }
  if (incId !== undefined && (incidents.has(String(incId)) || kind.startsWith("incident"))) scheduleRefresh(incId as Id);
}
