// The browser outbox for "dispatch system down": an incident typed while the service cannot be
// reached is kept in localStorage with its own Idempotency-Key and replayed, oldest first, when
// the service answers again. The key makes the replay safe: a request that reached the server
// before the connection died, or a replay from a second tab, returns the same incident (200)
// instead of a duplicate. An entry leaves the outbox only when the server has acknowledged it;
// one the server refuses (4xx) stays, marked with the reason, for the operator to see.
import { api, ApiError } from "./api";
import { isOutage } from "./conn";
import { upsertIncident, type Incident } from "./store";

export type Queued = { key: string; body: Record<string, unknown>; queued_at: string; error?: string };
const KEY = "xunfang.outbox";
const listeners = new Set<() => void>();
let running: Promise<number> | null = null;

export function queued(): Queued[] {
  try {
    const items = JSON.parse(localStorage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(items) ? (items as Queued[]) : [];
  } catch {
    return [];
  }
}

function write(items: Queued[]): void {
  localStorage.setItem(KEY, JSON.stringify(items));
  listeners.forEach((fn) => fn());
}

export function onOutbox(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function enqueue(key: string, body: Record<string, unknown>): void {
  const items = queued().filter((q) => q.key !== key);
  write([...items, { key, body, queued_at: new Date().toISOString() }]);
}

function settle(key: string, error?: string): void {
  const items = queued();
  write(error === undefined ? items.filter((q) => q.key !== key) : items.map((q) => (q.key === key ? { ...q, error } : q)));
}

async function send(item: Queued): Promise<boolean> {
  try {
    const inc = await api<Incident>("/api/v1/incidents", { method: "POST", json: item.body, headers: { "Idempotency-Key": item.key } });
    upsertIncident(inc);
    settle(item.key);
    return true;
  } catch (e) {
    if (isOutage(e) || (e instanceof ApiError && (e.status === 401 || e.status === 408 || e.status === 429))) return false;
    settle(item.key, (e as Error).message); // refused: kept and shown, never dropped silently
    return true;
  }
}

async function drain(): Promise<number> {
  let sent = 0;
  for (const item of queued()) {
    if (item.error) continue;
    if (!(await send(item))) break; // still down: keep the rest in order for the next attempt
    sent += 1;
  }
  return sent;
}

/** Send what is queued (one replay at a time per tab, and across tabs where Web Locks exist). */
export function replay(): Promise<number> {
  if (running) return running;
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  const run: Promise<number> = locks ? (locks.request("xunfang-outbox", drain) as unknown as Promise<number>) : drain();
  const done = run.finally(() => (running = null));
  running = done;
  return done;
}
