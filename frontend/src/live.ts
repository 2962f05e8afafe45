// The live feed: Server-Sent Events from /api/v1/live. EventSource cannot send headers, so the
// token travels as ?token=. On any error the stream is closed, the connection state goes down (the
// shell shows "disconnected — data as of hh:mm:ss") and we reconnect with backoff (at most 4 s), or
// at once when another request finds the service again; then the snapshot is reloaded to catch up.
// An `event: resync` (events dropped for a client that fell 1,000 events behind) reloads it too.
import { getToken } from "./auth";
import { connState, onConn, setConn } from "./conn";
import { ingest } from "./ingest";
import { can } from "./me";
import { loadIncidents, loadUnits, touch } from "./store";

let source: EventSource | null = null;
let retryMs = 1000;
let timer = 0;
let stopped = true;
let missed = false;
const NAMED = ["incident", "assignment", "deadline", "unit", "units", "position", "positions", "event"];

function onMessage(ev: MessageEvent<string>): void {
  if (!ev.data) return;
  try {
    ingest(JSON.parse(ev.data), ev.type === "message" ? undefined : ev.type);
  } catch {
    /* a malformed message must not stop the feed */
  }
}

/** Reload what the feed may have missed (the units only for roles that may see them). */
export function resync(): Promise<unknown> {
  return Promise.all([can("units.read") ? loadUnits() : null, loadIncidents()]).catch(() => undefined);
}

function open(): void {
  const token = getToken();
  clearTimeout(timer);
  if (stopped || !token || source) return;
  const es = new EventSource(`/api/v1/live?token=${encodeURIComponent(token)}`);
  source = es;
  es.onopen = () => {
    retryMs = 1000;
    setConn("open");
    if (missed) ((missed = false), void resync());
  };
  es.onmessage = onMessage;
  NAMED.forEach((name) => es.addEventListener(name, onMessage as EventListener));
  // The server fell too far behind for this client and dropped its backlog: reload the board.
  es.addEventListener("resync", () => void resync());
  es.onerror = () => {
    es.close();
    if (source !== es) return;
    source = null;
    missed = true;
    setConn("down");
    timer = window.setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 4000);
  };
}

onConn((s) => {
  if (s === "open" && !source && !stopped) open(); // found again by a probe or an API call
});

export function startLive(): void {
  if (!stopped) return;
  stopped = false;
  if (can("live.read")) open();
}

export function stopLive(): void {
  stopped = true;
  clearTimeout(timer);
  source?.close();
  source = null;
  if (connState() !== "down") setConn("connecting");
}

/** For tests: drop the stream as a network failure would. */
export function simulateDrop(): void {
  source?.dispatchEvent(new Event("error"));
  touch("units");
}
