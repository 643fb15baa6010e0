// Which tracking URIs run-sweep can write to, decided from the text alone, before anything runs.
import { redactUserinfo } from './redact.js';

export const TRACKING_URI_FORMS = 'an http:// or https:// MLflow server, a file: URI, or a directory';

/**
 * Why run-sweep cannot track to `uri`, or undefined when it can. The URI is quoted with its
 * userinfo (`user:password@`) replaced by `***`, and a bad escape is not quoted at all: it may sit
 * in the password.
 */
export function trackingUriProblem(uri: string): string | undefined {
  const shown = JSON.stringify(redactUserinfo(uri));
  // MLflow reads a bare 'databricks' as a workspace, not a directory: writing ./databricks/ would surprise.
  if (/^databricks(-uc)?(:|$)/i.test(uri)) return `Databricks workspaces are not supported (${shown}); use ${TRACKING_URI_FORMS}`;
  // One letter before the colon is a Windows drive (C:\runs), a directory.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1) return undefined;
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'file') {
    return `${scheme}: URIs are not supported (${shown}); use ${TRACKING_URI_FORMS}`;
  }
  if (/%(?![0-9a-f]{2})/i.test(uri)) {
    return `malformed percent-escape in ${shown}: '%' must be followed by two hex digits (write %25 for a '%' itself)`;
  }
  if (scheme !== 'file' && !URL.canParse(uri)) return `${shown} is not a valid URL`;
  return undefined;
}
