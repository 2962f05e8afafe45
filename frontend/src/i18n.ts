// Language state (zh / en): the default comes from the server (<meta name="xunfang-default-lang">,
// filled from XUNFANG_DEFAULT_LANG); the user's choice is remembered in localStorage.
import { DICT } from "./dict";

export type Lang = "zh" | "en";
const KEY = "xunfang.lang";
let lang: Lang = "zh";
const listeners = new Set<() => void>();

export function initLang(): void {
  const saved = localStorage.getItem(KEY);
  const meta = document.querySelector<HTMLMetaElement>('meta[name="xunfang-default-lang"]')?.content;
  lang = saved === "en" || saved === "zh" ? saved : meta === "en" ? "en" : "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function humanize(code: string): string {
  return code.replace(/[_-]+/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

/** The label for a key; `{name}` placeholders are filled from vars. Unknown keys show the key. */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  const entry = DICT[key];
  const text = entry ? entry[lang === "zh" ? 0 : 1] : key;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ""));
}

/** A coded value (status, force type, source ...) through the dictionary, else humanized. */
export function tc(prefix: string, code: unknown): string {
  if (code === null || code === undefined || code === "") return "";
  const key = `${prefix}.${String(code)}`;
  return DICT[key] ? t(key) : humanize(String(code));
}

/** Name of an API object carrying zh/en names under any of the usual field spellings. */
export function nameOf(obj: Record<string, unknown> | undefined, fallback = ""): string {
  if (!obj) return fallback;
  const names = (obj.names ?? obj.name) as Record<string, unknown> | string | undefined;
  const pick = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = obj[k] ?? (typeof names === "object" ? names?.[k] : undefined);
      if (typeof v === "string" && v) return v;
    }
    return undefined;
  };
  const found = lang === "zh" ? pick("name_zh", "zh", "label_zh") : pick("name_en", "en", "label_en");
  return found ?? (typeof names === "string" ? names : undefined) ?? fallback;
}
