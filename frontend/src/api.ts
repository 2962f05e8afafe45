// Fetch wrapper: adds the bearer token, turns error bodies into ApiError with the server's detail,
// sends the user back to the login page when the token is refused, and tells the connection state
// (conn.ts) whether the service answered.
import { clearToken, getToken } from "./auth";
import { setConn } from "./conn";

export class ApiError extends Error {
  constructor(
    public status: number,
    public detail: string,
  ) {
    super(`${status}: ${detail}`);
  }
}

type Init = { method?: string; json?: unknown; headers?: Record<string, string> };
let onUnauthorized: () => void = () => undefined;

export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

function detailOf(body: unknown, status: number): string {
  const d = (body as { detail?: unknown } | null)?.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => (e as { msg?: string }).msg ?? JSON.stringify(e)).join("; ");
  if (d && typeof d === "object") return JSON.stringify(d);
  return `HTTP ${status}`;
}

export async function api<T>(path: string, init: Init = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...init.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  let res: Response;
  try {
    res = await fetch(path, { method: init.method ?? "GET", headers, body });
  } catch (e) {
    setConn("down"); // no answer at all: the service (or the network to it) is down
    throw e;
  }
  // 503 is left out: the service answers it for a missing road network as well as a database gap.
  if (res.status !== 503) setConn(res.status === 502 || res.status === 504 ? "down" : "open");
  const data: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    clearToken();
    onUnauthorized();
  }
  if (!res.ok) throw new ApiError(res.status, detailOf(data, res.status));
  return data as T;
}

/** Items of a list response, whether it is a bare array or {"items": [...]}. */
export function itemsOf<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  const items = (data as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}
