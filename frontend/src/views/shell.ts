// The frame around every view: navigation, live indicator, clock, language switch, and the
// stale-data banner shown while the live feed is down.
import { clearToken } from "../auth";
import { h } from "../dom";
import { hms } from "../format";
import { getLang, onLangChange, setLang, t } from "../i18n";
import { onLiveState, stopLive, type LiveState } from "../live";
import { navigate } from "../router";

const NAV = ["map", "incidents", "analysis", "planning", "community"];

export type Shell = { content: HTMLElement; dispose(): void };

export function layout(root: HTMLElement, active: string): Shell {
  const nav = h("nav", { class: "nav" });
  const pill = h("span", { class: "live-pill", "data-testid": "live-pill" });
  const clock = h("span", { class: "clock" });
  const langBtn = h("button", { class: "btn btn-ghost", "data-testid": "lang-switch", onclick: () => setLang(getLang() === "zh" ? "en" : "zh") });
  const logout = h("button", { class: "btn btn-ghost", onclick: () => (clearToken(), stopLive(), navigate("/login")) });
  const brand = h("div", { class: "brand" }, h("span", { class: "brand-mark" }, "巡防"), h("span", { class: "brand-name" }));
  const banner = h("div", { class: "stale-banner", role: "alert", "data-testid": "stale-banner", hidden: true });
  const content = h("main", { class: `content content-${active}` });
  root.append(h("header", { class: "topbar" }, brand, nav, h("div", { class: "topbar-right" }, pill, clock, langBtn, logout)), banner, content);

  let live: LiveState = "connecting";
  let asOf: Date | null = null;
  const paint = (): void => {
    brand.lastElementChild!.textContent = t("app.title");
    nav.replaceChildren(...NAV.map((v) => h("a", { href: `/${v}`, "data-link": true, "data-testid": `nav-${v}`, class: v === active ? "active" : "" }, t(`nav.${v}`))));
    langBtn.textContent = t("lang.switch");
    logout.textContent = t("nav.logout");
    pill.textContent = live === "open" ? t("live.connected") : t("live.down");
    pill.className = `live-pill live-${live}`;
    banner.hidden = live !== "down";
    banner.textContent = live === "down" ? t("banner.disconnected", { time: asOf ? hms(asOf) : "--:--:--" }) : "";
  };
  const tick = (): void => void (clock.textContent = hms(new Date()));
  const offLang = onLangChange(paint);
  const offLive = onLiveState((s, at) => {
    live = s;
    asOf = at;
    paint();
  });
  tick();
  const timer = window.setInterval(tick, 1000);
  return {
    content,
    dispose: () => {
      offLang();
      offLive();
      clearInterval(timer);
    },
  };
}
