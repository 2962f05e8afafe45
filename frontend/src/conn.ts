// Is the service reachable? One state for the whole UI, fed by the live feed (open / error) and by
// every API call (a network failure or a 502/503/504 means down; any answer means up). While down,
// a probe asks the service every few seconds, so the banner clears and the outbox replays even for
// a role without the live feed. `dataAsOf` (store) says how old the board is.
export type ConnState = "connecting" | "open" | "down";
let state: ConnState = "connecting";
let probeTimer = 0;
const listeners = new Set<(s: ConnState) => void>();
const PROBE_MS = 3000;

export function connState(): ConnState {
  return state;
}

export function onConn(fn: (s: ConnState) => void): () => void {
  listeners.add(fn);
  fn(state);
  return () => listeners.delete(fn);
}

export function setConn(next: ConnState): void {
  if (next === state) return;
  state = next;
  clearInterval(probeTimer);
  if (next === "down") probeTimer = window.setInterval(() => void probe(), PROBE_MS);
  listeners.forEach((fn) => fn(state));
}

/** A network-level failure (no answer) or a gateway / unavailable answer. */
export function isOutage(e: unknown): boolean {
  if (e instanceof TypeError) return true; // fetch: connection refused / reset
  const status = (e as { status?: number } | null)?.status;
  return status === 502 || status === 503 || status === 504;
}

async function probe(): Promise<void> {
  try {
    const res = await fetch("/api/v1/openapi.json", { method: "HEAD", cache: "no-store" });
    if (res.status < 500) setConn("open");
  } catch {
    /* still down */
  }
}
