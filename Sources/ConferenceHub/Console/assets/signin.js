// signin.js: signing in — person and password (with the new password a one-time password
// requires), or the client certificate the browser holds, in one step.
import { h, replace } from "./dom.js";
import { signIn } from "./hub.js";
import { has, t } from "./i18n.js";

/** Shows the sign-in form in `root`; calls `done(answer)` once signed in. */
export function showSignIn(root, done, notice) {
  const message = h("p", { class: "error", role: "alert", id: "signin-error" });
  const person = h("input", { id: "signin-person", name: "person", autocomplete: "username", required: true, maxlength: 64 });
  const password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 256 });
  const newPassword = h("input", { id: "signin-new-password", type: "password", autocomplete: "new-password", maxlength: 256 });
  const confirm = h("input", { id: "signin-confirm", type: "password", autocomplete: "new-password", maxlength: 256 });
  const change = h("div", { class: "change hidden", id: "signin-change" },
    h("p", { class: "hint" }, t("signin.change_required")),
    h("p", { class: "hint" }, t("signin.password_rules")),
    h("label", {}, t("signin.new_password"), newPassword),
    h("label", {}, t("signin.confirm_password"), confirm));
  const submit = h("button", { type: "submit", class: "primary", id: "signin-submit" }, t("signin.submit"));

  async function attempt(body) {
    replace(message);
    submit.disabled = true;
    try {
      done(await signIn(body));
    } catch (error) {
      if (error.code === "password_change_required") {
        change.classList.remove("hidden");
        newPassword.required = confirm.required = true;
        newPassword.focus();
      }
      replace(message, explain(error));
    } finally {
      submit.disabled = false;
    }
  }

  const form = h("form", { class: "signin", id: "signin-form", onsubmit: (event) => {
    event.preventDefault();
    const body = { person: person.value.trim(), password: password.value };
    if (!change.classList.contains("hidden")) {
      if (newPassword.value !== confirm.value) return replace(message, t("signin.mismatch"));
      body.new_password = newPassword.value;
    }
    attempt(body);
  } },
  h("h1", {}, t("app.title")),
  h("h2", {}, t("signin.title")),
  notice ? h("p", { class: "notice", id: "signin-notice" }, notice) : null,
  h("label", {}, t("signin.person"), person),
  h("label", {}, t("signin.password"), password),
  change,
  message,
  submit,
  h("p", { class: "or" }, t("signin.or")),
  h("button", { type: "button", id: "signin-certificate", onclick: () => attempt({ method: "certificate" }) }, t("signin.certificate")));
  replace(root, form);
  person.focus();
}

function explain(error) {
  switch (error.code) {
    case "invalid_credentials": return t(error.message === "no client certificate was presented" ? "signin.no_certificate" : "signin.invalid");
    case "throttled": return t("signin.throttled", { seconds: error.retryAfter ?? 60 });
    case "password_change_required": return t("signin.change_required");
    case "weak_password":
      // Which rule the new password broke, with the hub's numbers.
      return has("signin.weak." + error.rule)
        ? t("signin.weak." + error.rule, { characters: error.minimumCharacters, distinct: error.minimumDistinctCharacters })
        : t("signin.weak");
    case "forbidden_origin": return t("signin.origin");
    case "busy": case "storage_unavailable": return t("signin.busy");
    case "network": return t("signin.network");
    default: return t("error.generic");
  }
}
