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

export async function login(username: string, password: string): Promise<void> {
  const body = new URLSearchParams({ username, password, grant_type: "password" });
  const res = await fetch("/api/v1/auth/token", { method: "POST", body });
  if (!res.ok) {
    const detail = await res.json().catch(() => ({}));
    throw new Error(typeof detail.detail === "string" ? detail.detail : `HTTP ${res.status}`);
  }
  const data = (await res.json()) as { access_token: string };
  setToken(data.access_token);
}
