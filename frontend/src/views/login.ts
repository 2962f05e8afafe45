// Login: OAuth2 password form against /api/v1/auth/token; the token goes to sessionStorage.
import { login } from "../auth";
import { h } from "../dom";
import { getLang, onLangChange, setLang, t } from "../i18n";
import type { View } from "../router";

export function loginView(onSuccess: () => void): View {
  let off = (): unknown => undefined;
  return {
    mount(root) {
      const user = h("input", { name: "username", autocomplete: "username", required: true, "data-testid": "login-user" });
      const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, "data-testid": "login-password" });
      const error = h("div", { class: "form-error", role: "alert" });
      const submit = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "login-submit" });
      const labels = [h("label", {}), h("label", {})];
      const title = h("h1", {});
      const sub = h("div", { class: "login-sub" });
      const lang = h("button", { type: "button", class: "btn btn-ghost", onclick: () => setLang(getLang() === "zh" ? "en" : "zh") });
      const form = h("form", { class: "login-card" }, h("div", { class: "brand-mark big" }, "巡防"), title, sub, labels[0], user, labels[1], pass, error, submit, lang);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        error.textContent = "";
        submit.disabled = true;
        try {
          await login(user.value, pass.value);
          onSuccess();
        } catch (e) {
          error.textContent = `${t("login.failed")}: ${(e as Error).message}`;
        } finally {
          submit.disabled = false;
        }
      });
      const paint = (): void => {
        title.textContent = t("app.title");
        sub.textContent = t("login.title");
        labels[0].textContent = t("login.user");
        labels[1].textContent = t("login.password");
        submit.textContent = t("login.submit");
        lang.textContent = t("lang.switch");
      };
      paint();
      off = onLangChange(paint);
      root.append(h("div", { class: "login-page" }, form));
      user.focus();
    },
    unmount: () => void off(),
  };
}
