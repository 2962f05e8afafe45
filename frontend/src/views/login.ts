// Login: OAuth2 password form against /api/v1/auth/token; the token goes to sessionStorage.
// Two steps for an MFA account: user name + password, then (when the server answers that a code
// is needed) the 6-digit TOTP code, posted again with the same name and password. Wrong codes and
// the server's progressive delay (429 + Retry-After, counted down here) are shown in the form.
import { LoginError, login } from "../auth";
import { h } from "../dom";
import { getLang, onLangChange, setLang, t } from "../i18n";
import type { View } from "../router";

type Stage = "password" | "code";

export function loginView(onSuccess: () => void): View {
  let off = (): unknown => undefined;
  let ticker = 0;
  return {
    mount(root) {
      const user = h("input", { id: "login-user", name: "username", autocomplete: "username", required: true, "data-testid": "login-user" });
      const pass = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true, "data-testid": "login-password" });
      const otp = h("input", {
        id: "login-otp",
        name: "otp",
        type: "text",
        inputmode: "numeric",
        autocomplete: "one-time-code",
        maxlength: 6,
        "data-testid": "login-otp",
      });
      const otpHint = h("div", { class: "login-hint", "data-testid": "login-otp-hint" });
      const back = h("button", { type: "button", class: "btn btn-ghost", "data-testid": "login-back" });
      const error = h("div", { class: "form-error", role: "alert", "data-testid": "login-error" });
      const submit = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "login-submit" });
      const labels = ["login-user", "login-password", "login-otp"].map((id) => h("label", { for: id }));
      const title = h("h1", {});
      const sub = h("div", { class: "login-sub" });
      const lang = h("button", { type: "button", class: "btn btn-ghost", onclick: () => setLang(getLang() === "zh" ? "en" : "zh") });
      const passwordStep = [labels[0], user, labels[1], pass];
      const codeStep = [otpHint, labels[2], otp, back];
      const form = h("form", { class: "login-card" }, h("div", { class: "brand-mark big" }, "巡防"), title, sub, passwordStep, codeStep.slice(0, 3), error, submit, back, lang);
      let stage: Stage = "password";
      let waitUntil = 0; // the server's progressive delay: no try before this (ms since epoch)
      let showError = (): string => "";

      const setStage = (next: Stage): void => {
        stage = next;
        for (const el of passwordStep) el.hidden = next === "code";
        for (const el of codeStep) el.hidden = next === "password";
        otp.required = next === "code";
        otp.value = "";
        form.dataset.stage = next;
        paint();
        (next === "code" ? otp : user).focus();
      };
      const fail = (message: () => string): void => {
        showError = message;
        error.textContent = message();
      };
      const throttle = (seconds: number): void => {
        waitUntil = Date.now() + seconds * 1000;
        const left = (): number => Math.max(0, Math.ceil((waitUntil - Date.now()) / 1000));
        fail(() => t("login.throttled", { n: left() }));
        submit.disabled = true;
        window.clearInterval(ticker);
        ticker = window.setInterval(() => {
          if (left() > 0) {
            error.textContent = showError();
            return;
          }
          window.clearInterval(ticker);
          submit.disabled = false;
          fail(() => "");
        }, 250);
      };

      otp.addEventListener("input", () => {
        const digits = otp.value.replace(/\D/g, "").slice(0, 6); // pasted "123 456" → 123456
        if (digits !== otp.value) otp.value = digits;
      });
      back.addEventListener("click", () => {
        fail(() => "");
        setStage("password");
      });
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        if (Date.now() < waitUntil) return;
        if (stage === "code" && !/^\d{6}$/.test(otp.value)) {
          fail(() => t("login.otp.format")); // a typo is not sent: it would count as a failed login
          otp.focus();
          return;
        }
        fail(() => "");
        submit.disabled = true;
        try {
          await login(user.value, pass.value, stage === "code" ? otp.value : undefined);
          onSuccess();
          return;
        } catch (e) {
          const err = e instanceof LoginError ? e : new LoginError(String(e), "unreachable");
          if (err.kind === "otp-needed") {
            setStage("code");
          } else if (err.kind === "otp-wrong") {
            fail(() => t("login.otp.wrong"));
            otp.value = "";
            otp.focus();
          } else if (err.kind === "throttled") {
            throttle(err.retryAfterS);
            return; // the countdown re-enables the button
          } else if (err.kind === "unreachable") {
            fail(() => t("login.unreachable"));
          } else {
            // wrong password, a locked or disabled account: back to the first step, say why
            if (stage === "code") setStage("password");
            fail(() => `${t("login.failed")}: ${err.message}`);
          }
        }
        submit.disabled = false;
      });
      const paint = (): void => {
        title.textContent = t("app.title");
        sub.textContent = t("login.title");
        labels[0].textContent = t("login.user");
        labels[1].textContent = t("login.password");
        labels[2].textContent = t("login.otp");
        otpHint.textContent = t("login.otp.hint");
        back.textContent = t("login.otp.back");
        submit.textContent = t(stage === "code" ? "login.otp.submit" : "login.submit");
        lang.textContent = t("lang.switch");
        error.textContent = showError();
      };
      setStage("password");
      off = onLangChange(paint);
      root.append(h("div", { class: "login-page" }, form));
      user.focus();
    },
    unmount: () => {
      window.clearInterval(ticker);
      off();
    },
  };
}
