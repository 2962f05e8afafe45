// Boot: language, routes, and — once logged in — who the user is (their allowed actions), the
// snapshot, the live feed, and the outbox replay whenever the service answers again.
import "./style.css";
import { setUnauthorizedHandler } from "./api";
import { getToken } from "./auth";
import { onConn } from "./conn";
import { h, toast } from "./dom";
import { initLang, t } from "./i18n";
import { ingest } from "./ingest";
import { resync, simulateDrop, startLive, stopLive } from "./live";
import { can, clearMe, currentMe, loadMe } from "./me";
import * as outbox from "./outbox";
import { navigate, render, route, startRouter, type View } from "./router";
import { startSlaTicker } from "./sla";
import * as store from "./store";
import { incidentsView } from "./views/incidents";
import { loginView } from "./views/login";
import { mapView } from "./views/mapView";
import { analysisView, communityView, planningView } from "./views/pages";
import { layout, VIEW_ACTION } from "./views/shell";

let started = false;

function startSession(): void {
  if (started || !getToken() || !currentMe()) return;
  started = true;
  void Promise.all([resync(), store.loadCategories()]).catch(() => undefined);
  startLive();
  void replayOutbox();
}

async function replayOutbox(): Promise<void> {
  if (!started || !outbox.queued().length) return;
  const sent = await outbox.replay();
  if (sent) toast(t("outbox.replayed", { n: sent }));
}

/** Shown while GET /auth/me answers (first load after login), then the real view. */
function waitingForMe(): View {
  return {
    mount(root) {
      root.append(h("div", { class: "empty big" }, t("loading")));
      void loadMe().then(render).catch(() => void window.setTimeout(render, 3000));
    },
  };
}

function forbidden(name: string): View {
  let dispose = (): void => undefined;
  return {
    mount(root) {
      const shell = layout(root, name);
      shell.content.append(h("div", { class: "empty big", "data-testid": "forbidden" }, t("view.forbidden")));
      dispose = shell.dispose;
    },
    unmount: () => dispose(),
  };
}

function guarded(name: string, view: () => View): () => View {
  return () => {
    if (!getToken()) return loginView(afterLogin);
    if (!currentMe()) return waitingForMe();
    startSession();
    return can(VIEW_ACTION[name]) ? view() : forbidden(name);
  };
}

function afterLogin(): void {
  started = false;
  clearMe();
  // Back to where the user was going: ?next=, or the protected page that showed the login form.
  const here = location.pathname.startsWith("/login") ? null : location.pathname;
  const next = new URLSearchParams(location.search).get("next") ?? here;
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/map", true);
}

initLang();
setUnauthorizedHandler(() => {
  started = false;
  clearMe();
  stopLive();
  if (location.pathname !== "/login") navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});
onConn((s) => void (s === "open" && replayOutbox()));
window.setInterval(() => void replayOutbox(), 15000); // a refused-then-fixed network, a missed event
route(/^\/login\/?$/, () => loginView(afterLogin));
route(/^\/(?:map)?\/?$/, guarded("map", mapView));
route(/^\/incidents\/?$/, guarded("incidents", incidentsView));
route(/^\/incidents\/([^/]+)\/?$/, guarded("incidents", incidentsView));
route(/^\/analysis\/?$/, guarded("analysis", analysisView));
route(/^\/planning\/?$/, guarded("planning", planningView));
route(/^\/community\/?$/, guarded("community", communityView));
startSlaTicker();
// Hooks for the end-to-end tests (and for an operator's console): the store, the feed, the outbox.
(window as unknown as { __xunfang: unknown }).__xunfang = { store, ingest, simulateDrop, outbox };
startRouter(document.getElementById("app")!);
