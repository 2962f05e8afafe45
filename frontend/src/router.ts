// History-API routing: the server answers index.html for every non-API path.
export type View = { mount(root: HTMLElement, params: string[]): void; unmount?(): void };
type Route = { pattern: RegExp; view: () => View };

const routes: Route[] = [];
let current: View | null = null;
let rootEl: HTMLElement | null = null;

export function route(pattern: RegExp, view: () => View): void {
  routes.push({ pattern, view });
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

export function startRouter(root: HTMLElement): void {
  rootEl = root;
  window.addEventListener("popstate", render);
  document.addEventListener("click", (ev) => {
    const a = (ev.target as Element).closest?.("a[data-link]") as HTMLAnchorElement | null;
    if (!a || ev.ctrlKey || ev.metaKey) return;
    ev.preventDefault();
    navigate(a.getAttribute("href") ?? "/");
  });
  render();
}

export function render(): void {
  if (!rootEl) return;
  const path = location.pathname;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    current?.unmount?.();
    rootEl.replaceChildren();
    current = r.view();
    current.mount(rootEl, m.slice(1));
    return;
  }
  navigate("/map", true);
}
