// The access token lives in sessionStorage: it ends with the browser tab, as a shift login should.
const KEY = "xunfang.token";

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** Why a login did not give a token; the login view picks its next step from `kind`. */
export type LoginFailure =
  | "credentials" // wrong name or password, a locked or disabled account, MFA not enrolled
  | "otp-needed" // the password was right; the account uses MFA: ask for the 6-digit code
  | "otp-wrong" // the code was wrong, too old or already used (counted as a failed login)
  | "throttled" // inside the progressive delay after a failure: wait `retryAfterS`
  | "unreachable"; // no answer, or the service is unavailable

export class LoginError extends Error {
  constructor(
    message: string,
    public kind: LoginFailure,
    public retryAfterS = 0,
  ) {
    super(message);
  }
}

/** OAuth2 password form against /api/v1/auth/token, plus the TOTP code (`otp`) for MFA accounts.
 * The server answers 401 {"error": "MfaRequired", "field": "otp"} when a code is needed, 401
 * {"error": "AuthFailed", "field": "otp"} for a wrong one and 429 + Retry-After inside the delay. */
export async function login(username: string, password: string, otp?: string): Promise<void> {
  const body = new URLSearchParams({ username, password, grant_type: "password" });
  if (otp !== undefined) body.set("otp", otp);
  let res: Response;
  try {
    res = await fetch("/api/v1/auth/token", { method: "POST", body });
  } catch {
    throw new LoginError("", "unreachable");
  }
  if (res.ok) {
    const data = (await res.json()) as { access_token: string };
    setToken(data.access_token);
    return;
  }
  const err = (await res.json().catch(() => ({}))) as { detail?: unknown; error?: unknown; field?: unknown };
  const detail = typeof err.detail === "string" ? err.detail : `HTTP ${res.status}`;
  if (res.status === 429) {
    const wait = Number.parseInt(res.headers.get("Retry-After") ?? "", 10);
    throw new LoginError(detail, "throttled", Number.isFinite(wait) && wait > 0 ? wait : 1);
  }
  if (res.status === 401 && err.field === "otp") {
    throw new LoginError(detail, err.error === "MfaRequired" ? "otp-needed" : "otp-wrong");
  }
  if (res.status === 401 || res.status === 403) throw new LoginError(detail, "credentials");
  throw new LoginError(detail, res.status >= 500 ? "unreachable" : "credentials");
}
