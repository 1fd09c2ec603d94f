// Every text the live view shows, in English and German: the catalog serve/texts.toml (with the data sets' names
// of report/texts/datasets.toml), which serve/bundle.py inlines here as JSON in place of CATALOG_JSON.
const CATALOG = CATALOG_JSON;  // {texts: {lang: {key: text}}, datasets: {lang: {name: text}}, views: {lang: {view: name}}}
export const LANGUAGES = Object.keys(CATALOG.texts);
// 10^e as a power with superscript digits (10⁻³): the same in every language
const SUPERSCRIPT = { "-": "⁻", "−": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
export const power = (e) => "10" + String(e).replace(/[-−\d]/g, (c) => SUPERSCRIPT[c]);

// the language: the one asked for when the catalog has it, else the browser's, else English
export function chooseLanguage(asked, browser = globalThis.navigator ? navigator.language : "en") {
  for (const code of [asked, browser]) {
    const lang = String(code || "").slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(lang)) return lang;
  }
  return "en";
}

// one language's texts: t(key, vars) fills {{name}} from vars ({{name}} placeholders), num(v, digits) writes a number
// as the language does, plain(v) without grouping, dataset(name) and view(name) the names shown, has(key) tells
// whether the catalog has a text of that key
export function texts(lang) {
  const table = CATALOG.texts[lang], formats = new Map();
  function format(key, options) {
    if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(lang, options));
    return formats.get(key);
  }
  // v with `digits` decimals ("fixed") or significant digits ("sig"); beyond 1e5 or below 1e-3 a mantissa times a
  // power of ten, 1,5 · 10⁻⁶, as the report writes it
  function num(v, digits = 3, mode = "fixed") {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
    if (mode === "fixed") return format("f" + digits, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
    if (v === 0 || (Math.abs(v) < 1e5 && Math.abs(v) >= 1e-3)) return format("s" + digits, { maximumSignificantDigits: digits }).format(v);
    const parts = format("e" + digits, { maximumSignificantDigits: digits, notation: "scientific" }).formatToParts(v);
    const at = parts.findIndex((p) => p.type === "exponentSeparator");
    const text = (ps) => ps.map((p) => p.value).join("");
    return `${text(parts.slice(0, at))}\u202f·\u202f${power(text(parts.slice(at + 1)))}`;
  }
  const plain = (v) => format("plain", { maximumFractionDigits: 6, useGrouping: false }).format(v);
  function t(key, vars = {}) {
    if (!(key in table)) throw new Error(`no text ${key}`);
    return table[key].replace(/\{\{(\w+)\}\}/g, (_, k) => (typeof vars[k] === "number" ? plain(vars[k]) : String(vars[k])));
  }
  const dataset = (name) => CATALOG.datasets[lang][name] ?? name;
  const view = (name) => CATALOG.views[lang][name] ?? name;
  const has = (key) => typeof key === "string" && Object.hasOwn(table, key);
  return { lang, t, num, plain, dataset, view, has };
}
