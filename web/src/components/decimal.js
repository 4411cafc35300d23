// Exact arithmetic on the API's decimal strings ("12.50", "-3.1"), in BigInt: money never meets floating point.

const SHAPE = /^-?\d+(?:\.\d+)?$/;

/** Whether a string is a plain decimal such as "12.50" or "-3". */
export const isDecimal = (text) => SHAPE.test(String(text ?? "").trim());

function scaled(text, scale) {
  const t = String(text).trim();
  const negative = t.startsWith("-");
  const [whole, fraction = ""] = t.replace(/^-/, "").split(".");
  const value = BigInt(whole + fraction.padEnd(scale, "0"));
  return negative ? -value : value;
}

const scaleOf = (text) => String(text).trim().split(".")[1]?.length ?? 0;

function format(value, scale) {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** The exact sum of decimal strings, written with the most decimal places among them. */
export function sum(values) {
  const scale = Math.max(0, ...values.map(scaleOf));
  return format(values.reduce((total, v) => total + scaled(v, scale), 0n), scale);
}

/** a - b, exactly. */
export function subtract(a, b) {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return format(scaled(a, scale) - scaled(b, scale), scale);
}

/** Whether two decimal strings are the same amount ("12.5" and "12.50"). */
export function equal(a, b) {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return scaled(a, scale) === scaled(b, scale);
}
