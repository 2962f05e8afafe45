// The live feed: Server-Sent Events from /api/v1/live. EventSource cannot send headers, so the
// token travels as ?token=. On any error the stream is closed, a stale-data banner names the time
// of the last data, and we reconnect with backoff, then reload the snapshot to catch up.
import { getToken } from "./auth";
import { ingest } from "./ingest";
import { dataAsOf, loadIncidents, loadUnits, touch } from "./store";

export type LiveState = "connecting" | "open" | "down";
let source: EventSource | null = null;
let state: LiveState = "connecting";
let retryMs = 1000;
let timer = 0;
let stopped = true;
const listeners = new Set<(s: LiveState, asOf: Date | null) => void>();
const NAMED = ["incident", "assignment", "deadline", "unit", "units", "position", "positions", "event"];

export function onLiveState(fn: (s: LiveState, asOf: Date | null) => void): () => void {
  listeners.add(fn);
  fn(state, dataAsOf);
  return () => listeners.delete(fn);
}

function setState(next: LiveState): void {
  state = next;
  listeners.forEach((fn) => fn(state, dataAsOf));
}

function onMessage(ev: MessageEvent<string>): void {
  if (!ev.data) return;
  try {
    ingest(JSON.parse(ev.data), ev.type === "message" ? undefined : ev.type);
  } catch {
    /* a malformed message must not stop the feed */
  }
}

function open(): void {
  const token = getToken();
  if (stopped || !token) return;
  setState(state === "open" ? "open" : state);
  const es = new EventSource(`/api/v1/live?token=${encodeURIComponent(token)}`);
  source = es;
  es.onopen = () => {
    const wasDown = state === "down";
    retryMs = 1000;
    setState("open");
    if (wasDown) void Promise.all([loadUnits(), loadIncidents()]).catch(() => undefined);
  };
  es.onmessage = onMessage;
  NAMED.forEach((name) => es.addEventListener(name, onMessage as EventListener));
  es.onerror = () => {
    es.close();
    if (source !== es) return;
    source = null;
    setState("down");
    timer = window.setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 10000);
  };
}

export function startLive(): void {
  if (!stopped) return;
  stopped = false;
  open();
}

export function stopLive(): void {
  stopped = true;
  clearTimeout(timer);
  source?.close();
  source = null;
  setState("connecting");
}

/** For tests: drop the stream as a network failure would. */
export function simulateDrop(): void {
  source?.dispatchEvent(new Event("error"));
  touch("units");
}
