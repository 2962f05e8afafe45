// Who is logged in and what they may do. The action names come from the API (GET /api/v1/auth/me,
// built from the same table that guards the API's routes), so the UI hides exactly what the API
// would refuse and keeps no role list of its own. Cached for the tab, like the token.
import { api } from "./api";

export type Me = { name: string; role: string; station: string | null; unit_id: string | null; actions: string[] };
const KEY = "xunfang.me";
let me: Me | null = read();

function read(): Me | null {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Me | null;
  } catch {
    return null;
  }
}

export function currentMe(): Me | null {
  return me;
}

export async function loadMe(): Promise<Me> {
  me = await api<Me>("/api/v1/auth/me");
  sessionStorage.setItem(KEY, JSON.stringify(me));
  return me;
}

export function clearMe(): void {
  me = null;
  sessionStorage.removeItem(KEY);
}

/** May the current user perform `action` (e.g. "incidents.dispatch")? False until known. */
export function can(action: string): boolean {
  return !!me && me.actions.includes(action);
}
