// A URI's userinfo (`user:password@`) is a secret: no message run-sweep prints may carry it.

// scheme://, then everything up to the last '@' before the path: that is the userinfo.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*(?:@[^/?#\s@]*)*@/gi;

/** `text` with the userinfo of every URI in it replaced by `***`: `http://***@host/`. */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, '$1***@');
}
