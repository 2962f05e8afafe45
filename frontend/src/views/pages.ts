// Views 3–5: analysis and planning are tabbed pages over their endpoints; community is a
// placeholder until that module lands.
import { h } from "../dom";
import { onLangChange, t } from "../i18n";
import type { View } from "../router";
import { endpointTabs } from "./endpointTabs";
import { layout } from "./shell";

export const analysisView = (): View =>
  endpointTabs("analysis", ["hotspots", "risk-classes", "stats", "warnings", "profiles"].map((k) => ({ key: k, path: `/api/v1/analysis/${k}` })));

export const planningView = (): View =>
  endpointTabs("planning", [
    { key: "plans", path: "/api/v1/plans" },
    { key: "staffing", path: "/api/v1/plans/staffing" },
    { key: "compliance", path: "/api/v1/supervision/compliance" },
  ]);

export function communityView(): View {
  let dispose = (): void => undefined;
  return {
    mount(root) {
      const shell = layout(root, "community");
      const body = h("div", { class: "placeholder", "data-testid": "community-body" });
      const paint = (): void => void body.replaceChildren(h("h2", {}, t("nav.community")), h("p", {}, t("community.placeholder")));
      paint();
      shell.content.append(body);
      const off = onLangChange(paint);
      dispose = () => (off(), shell.dispose());
    },
    unmount: () => dispose(),
  };
}
