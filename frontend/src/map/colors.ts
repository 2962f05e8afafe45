// Status, priority, risk and force colours: one place, read by the map layers and the legends.
export const UNIT_STATUS: Record<string, string> = {
  available: "#22c55e",
  patrolling: "#22c55e",
  assigned: "#f59e0b",
  dispatched: "#f59e0b",
  en_route: "#fb923c",
  on_scene: "#ef4444",
  busy: "#a855f7",
  returning: "#38bdf8",
  off_duty: "#64748b",
  offline: "#475569",
  out_of_service: "#475569",
};
export const PRIORITY: Record<string, string> = { "1": "#ef4444", "2": "#f97316", "3": "#eab308" };
export const INCIDENT_STATUS: Record<string, string> = {
  received: "#ef4444",
  dispatched: "#f97316",
  en_route: "#fb923c",
  on_scene: "#eab308",
  resolved: "#22c55e",
  handed_over: "#38bdf8",
  closed: "#64748b",
  cancelled: "#475569",
};
export const FORCE: Record<string, string> = {
  patrol_police: "#60a5fa",
  traffic_police: "#facc15",
  special_police: "#f43f5e",
  armed_police: "#166534",
  auxiliary_police: "#93c5fd",
  volunteer_police: "#f472b6",
  grid_worker: "#c084fc",
  property_guard: "#a8a29e",
  night_patrol: "#818cf8",
  k9_team: "#d97706",
  drone: "#2dd4bf",
  mounted_patrol: "#b45309",
};
// Words of the analysis risk classes too: blue (normal), yellow (elevated), red (high).
const RISK_WORDS: Record<string, number> = { very_low: 0, low: 1, medium: 2, high: 3, very_high: 4, blue: 1, yellow: 2, red: 4 };
const RISK_RAMP = ["#1e3a5f", "#2563eb", "#eab308", "#f97316", "#dc2626"];
export const COVERAGE = ["#22c55e", "#3b82f6", "#8b5cf6"];

/** Colour for a risk class given as a word, a 1–5 class (1 = highest) or a 0–1 score. */
export function riskColor(value: unknown): string {
  if (typeof value === "string" && value in RISK_WORDS) return RISK_RAMP[RISK_WORDS[value]];
  const n = Number(value);
  if (!Number.isFinite(n)) return "#334155";
  if (n > 0 && n < 1) return RISK_RAMP[Math.min(4, Math.floor(n * 5))];
  return RISK_RAMP[Math.max(0, Math.min(4, 5 - Math.round(n)))];
}

export function pick(table: Record<string, string>, key: unknown, fallback = "#94a3b8"): string {
  return table[String(key)] ?? fallback;
}
