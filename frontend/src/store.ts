// Client-side state: units, incidents and the incident categories. Changes are batched: many
// updates within one animation frame produce one notification per topic, so 1,000 position
// updates per second cost one GeoJSON rebuild per frame, not one per update.
import { api, itemsOf } from "./api";

export type Id = string | number;
export interface Unit {
  id: Id;
  force_type?: string;
  mode?: string;
  status?: string;
  station?: unknown;
  lon?: number | null;
  lat?: number | null;
  [key: string]: unknown;
}
export interface Incident {
  id: Id;
  category?: string;
  priority?: number;
  status?: string;
  state?: string;
  lon?: number;
  lat?: number;
  [key: string]: unknown;
}
export type Category = { code: string; default_priority?: number; [key: string]: unknown };
type Topic = "units" | "incidents" | "categories";

export const units = new Map<string, Unit>();
export const incidents = new Map<string, Incident>();
export let categories: Category[] = [];
export let dataAsOf: Date | null = null;

const listeners: Record<Topic, Set<() => void>> = {
  units: new Set(),
  incidents: new Set(),
  categories: new Set(),
};
const dirty = new Set<Topic>();
let frame = 0;

export function subscribe(topic: Topic, fn: () => void): () => void {
  listeners[topic].add(fn);
  return () => listeners[topic].delete(fn);
}

function flush(): void {
  frame = 0;
  const topics = [...dirty];
  dirty.clear();
  for (const topic of topics) listeners[topic].forEach((fn) => fn());
}

export function touch(topic: Topic): void {
  dataAsOf = new Date();
  dirty.add(topic);
  // requestAnimationFrame does not run in a hidden tab; a timer keeps the state current there.
  if (!frame) frame = document.hidden ? window.setTimeout(flush, 250) : requestAnimationFrame(flush);
}

export function incidentStatus(inc: Incident): string {
  return String(inc.status ?? inc.state ?? "received");
}

export function upsertUnit(patch: Partial<Unit> & { id: Id }): void {
  const key = String(patch.id);
  const old = units.get(key);
  units.set(key, old ? Object.assign(old, patch) : { ...patch });
  touch("units");
}

/** A position fix; an older fix never overwrites a newer one. */
export function applyPosition(p: { unit_id: Id; lon: number; lat: number; at?: string }): void {
  const key = String(p.unit_id);
  const unit = units.get(key);
  if (!unit) return;
  const at = p.at ? Date.parse(p.at) : NaN;
  const prev = typeof unit.fix_at === "string" ? Date.parse(unit.fix_at) : NaN;
  if (at < prev) return;
  unit.lon = p.lon;
  unit.lat = p.lat;
  if (p.at) unit.fix_at = p.at;
  touch("units");
}

export function upsertIncident(patch: Partial<Incident> & { id: Id }): void {
  const key = String(patch.id);
  const old = incidents.get(key);
  incidents.set(key, old ? Object.assign(old, patch) : { ...patch });
  touch("incidents");
}

export async function loadUnits(): Promise<void> {
  const list = itemsOf<Unit>(await api("/api/v1/units"));
  units.clear();
  list.forEach((u) => units.set(String(u.id), u));
  touch("units");
}

export async function loadIncidents(): Promise<void> {
  const list = itemsOf<Incident>(await api("/api/v1/incidents?limit=500"));
  incidents.clear();
  list.forEach((i) => incidents.set(String(i.id), i));
  touch("incidents");
}

export async function loadCategories(): Promise<void> {
  if (categories.length) return;
  categories = itemsOf<Category>(await api("/api/v1/incidents/categories"));
  touch("categories");
}

export async function refreshIncident(id: Id): Promise<Incident> {
  const inc = await api<Incident>(`/api/v1/incidents/${id}`);
  upsertIncident(inc);
  return inc;
}

export function categoryOf(code: unknown): Category | undefined {
  return categories.find((c) => c.code === code);
}
