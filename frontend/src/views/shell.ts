// The frame around every view: navigation (only the views the user's role may open), who is
// logged in, the connection pill, the outbox count, clock, language switch, and the banner shown
// while the service cannot be reached ("disconnected — data as of hh:mm:ss").
import { clearToken } from "../auth";
import { onConn, type ConnState } from "../conn";
import { h } from "../dom";
import { hms } from "../format";
import { getLang, onLangChange, setLang, t, tc } from "../i18n";
import { stopLive } from "../live";
import { can, clearMe, currentMe } from "../me";
import { onOutbox, queued } from "../outbox";
import { navigate } from "../router";
import { dataAsOf } from "../store";

// view → the action (from GET /api/v1/auth/me) that opening it needs
export const VIEW_ACTION: Record<string, string> = {
  map: "map.read",
  incidents: "incidents.read",
  analysis: "analysis.read",
  planning: "plans.read",
  community: "community.read",
};

export type Shell = { content: HTMLElement; dispose(): void };

export function layout(root: HTMLElement, active: string): Shell {
  const nav = h("nav", { class: "nav" });
  const who = h("span", { class: "who", "data-testid": "who" });
  const pill = h("span", { class: "live-pill", "data-testid": "live-pill" });
  const outbox = h("span", { class: "outbox-pill", "data-testid": "outbox-count", hidden: true });
  const clock = h("span", { class: "clock" });
  const langBtn = h("button", { class: "btn btn-ghost", "data-testid": "lang-switch", onclick: () => setLang(getLang() === "zh" ? "en" : "zh") });
  const logout = h("button", { class: "btn btn-ghost", onclick: () => (clearToken(), clearMe(), stopLive(), navigate("/login")) });
  const brand = h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "巡防"), h("span", { class: "brand-name" }));
  const banner = h("div", { class: "stale-banner", role: "alert", "data-testid": "stale-banner", hidden: true });
  const content = h("main", { class: `content content-${active}` });
  root.append(h("header", { class: "topbar" }, brand, nav, h("div", { class: "topbar-right" }, who, outbox, pill, clock, langBtn, logout)), banner, content);

  let conn: ConnState = "connecting";
  const paint = (): void => {
    brand.lastElementChild!.textContent = t("app.title");
    const views = Object.keys(VIEW_ACTION).filter((v) => can(VIEW_ACTION[v]));
    nav.replaceChildren(...views.map((v) => h("a", { href: `/${v}`, "data-link": true, "data-testid": `nav-${v}`, class: v === active ? "active" : "" }, t(`nav.${v}`))));
    const me = currentMe();
    who.textContent = me ? [me.name, tc("role", me.role), me.station ?? ""].filter(Boolean).join(" · ") : "";
    langBtn.textContent = t("lang.switch");
    logout.textContent = t("nav.logout");
    pill.textContent = conn === "open" ? t("live.connected") : conn === "down" ? t("live.down") : t("live.connecting");
    pill.className = `live-pill live-${conn}`;
    const waiting = queued();
    outbox.hidden = waiting.length === 0;
    outbox.dataset.count = String(waiting.length);
    outbox.textContent = t("outbox.count", { n: waiting.length });
    banner.hidden = conn !== "down";
    banner.textContent = conn === "down" ? t("banner.disconnected", { time: dataAsOf ? hms(dataAsOf) : "--:--:--" }) : "";
  };
  const tick = (): void => void (clock.textContent = hms(new Date()));
  const offs = [
    onLangChange(paint),
    onOutbox(paint),
    onConn((s) => {
      conn = s;
      paint();
    }),
  ];
  tick();
  const timer = window.setInterval(tick, 1000);
  return {
    content,
    dispose: () => {
      offs.forEach((off) => off());
      clearInterval(timer);
    },
  };
}
