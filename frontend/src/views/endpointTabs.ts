// A tabbed page over a list of API endpoints; a 404 shows "not available" instead of an error.
import { api, ApiError } from "../api";
import { h } from "../dom";
import { onLangChange, t } from "../i18n";
import type { View } from "../router";
import { disposeMiniMaps } from "./miniMap";
import { renderAny } from "./render";
import { layout } from "./shell";

export type Tab = { key: string; path: string };

export function endpointTabs(active: string, tabs: Tab[]): View {
  const cleanups: (() => void)[] = [];
  let current = tabs[0].key;
  const cache = new Map<string, unknown>();
  return {
    mount(root) {
      const shell = layout(root, active);
      cleanups.push(shell.dispose);
      const bar = h("div", { class: "tabs" });
      const body = h("section", { class: "tab-body", "data-testid": `${active}-body` });
      shell.content.append(bar, body);
      const show = async (key: string): Promise<void> => {
        current = key;
        disposeMiniMaps();
        paintBar();
        const tab = tabs.find((x) => x.key === key)!;
        body.replaceChildren(h("div", { class: "muted" }, t("loading")));
        try {
          if (!cache.has(key)) cache.set(key, await api(tab.path));
          if (current === key) body.replaceChildren(h("h2", {}, t(`${active}.${key}`)), renderAny(cache.get(key)));
        } catch (e) {
          const na = e instanceof ApiError && e.status === 404;
          if (current !== key) return;
          body.replaceChildren(na
            ? h("div", { class: "not-available", "data-testid": "not-available" }, h("b", {}, t("na")), h("div", {}, `${t("na.detail")}: ${tab.path}`))
            : h("div", { class: "form-error" }, `${t("error")}: ${(e as Error).message}`));
        }
      };
      const paintBar = (): void =>
        bar.replaceChildren(...tabs.map((x) => h("button", { class: x.key === current ? "tab active" : "tab", "data-testid": `tab-${x.key}`, onclick: () => void show(x.key) }, t(`${active}.${x.key}`))));
      cleanups.push(onLangChange(() => void show(current)));
      void show(current);
    },
    unmount() {
      disposeMiniMaps();
      cleanups.splice(0).forEach((fn) => fn());
    },
  };
}
