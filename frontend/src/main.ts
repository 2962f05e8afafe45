// Boot: language, routes, and — once logged in — the snapshot plus the live feed.
import "./style.css";
import { setUnauthorizedHandler } from "./api";
import { getToken } from "./auth";
import { initLang } from "./i18n";
import { ingest } from "./ingest";
import { simulateDrop, startLive, stopLive } from "./live";
import { navigate, route, startRouter } from "./router";
import { startSlaTicker } from "./sla";
import * as store from "./store";
import { incidentsView } from "./views/incidents";
import { loginView } from "./views/login";
import { mapView } from "./views/mapView";
import { analysisView, communityView, planningView } from "./views/pages";

let started = false;

function startSession(): void {
  if (started || !getToken()) return;
  started = true;
  void Promise.all([store.loadUnits(), store.loadIncidents(), store.loadCategories()]).catch(() => undefined);
  startLive();
}

function guarded(view: () => import("./router").View): () => import("./router").View {
  return () => {
    if (!getToken()) return loginView(afterLogin);
    startSession();
    return view();
  };
}

function afterLogin(): void {
  started = false;
  startSession();
  // Back to where the user was going: ?next=, or the protected page that showed the login form.
  const here = location.pathname.startsWith("/login") ? null : location.pathname;
  const next = new URLSearchParams(location.search).get("next") ?? here;
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/map", true);
}

initLang();
setUnauthorizedHandler(() => {
  started = false;
  stopLive();
  if (location.pathname !== "/login") navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});
route(/^\/login\/?$/, () => loginView(afterLogin));
route(/^\/(?:map)?\/?$/, guarded(mapView));
route(/^\/incidents\/?$/, guarded(incidentsView));
route(/^\/incidents\/([^/]+)\/?$/, guarded(incidentsView));
route(/^\/analysis\/?$/, guarded(analysisView));
route(/^\/planning\/?$/, guarded(planningView));
route(/^\/community\/?$/, guarded(communityView));
startSlaTicker();
// Hooks for the end-to-end tests (and for an operator's console): the store and the feed.
(window as unknown as { __xunfang: unknown }).__xunfang = { store, ingest, simulateDrop };
startRouter(document.getElementById("app")!);
