// Small text helpers shared by the plain, live and quiet views (kept here, not in summary.ts, so
// that the views do not depend on the summary's types).

/** A perplexity or other figure: fixed digits, '-' for NaN and ±Infinity. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '-';
  return value.toFixed(digits);
}

/** Tokens per second as a whole number, '-' when unknown. */
export function formatRate(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toString() : '-';
}

/** Seconds as m:ss, or h:mm:ss from an hour up; '…' when unknown (undefined, NaN, negative). */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '…';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = s.toString().padStart(2, '0');
  return h > 0 ? `${h}:${m.toString().padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** `[id label]`, how every line about one trial starts. */
export function trialTag(trial: { id: string; label: string }): string {
  return `[${trial.id} ${oneLine(trial.label)}]`;
}

/**
 * Text made safe for one terminal line: line breaks, tabs and other control characters (which
 * could move the cursor and corrupt a redrawn block) become spaces.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

/** The first line of a message (an error's stack stays in the summary and in error.txt). */
export function firstLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return oneLine(line).trim();
}

/**
 * Cuts a line to at most `width` terminal columns, ending it with '…' when cut. Counts code points,
 * and East Asian wide characters as two columns, which covers what labels and samples hold.
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(text) <= width) return text;
  let used = 0;
  let out = '';
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** Terminal columns one code point takes: 0 for combining marks, 2 for wide East Asian ones. */
export function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp === 0) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Display width of a line (see charWidth). */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}
