// "Copy as curl": the request the page just made, as a command people can put in a script.

export interface CurlRequest {
  /** The page's origin, e.g. https://ocr.example.org (the UI proxies /api to the model server). */
  origin: string;
  model: string;
  /** Name of the image file the command should send. */
  fileName: string;
  /** The image's MIME type, e.g. image/png. */
  contentType: string;
  confidence?: number;
}

/** Quotes a string for a POSIX shell: single quotes, with embedded single quotes spliced in. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function predictUrl(origin: string, model: string, confidence?: number): string {
  const url = new URL(`/api/v1/models/${encodeURIComponent(model)}/predict`, origin);
  if (confidence !== undefined) url.searchParams.set('confidence', String(confidence));
  return url.toString();
}

/** One line per argument, so that the command reads well and pastes into any POSIX shell. */
export function buildCurl(request: CurlRequest): string {
  const lines = [
    `curl -sS -X POST ${shellQuote(predictUrl(request.origin, request.model, request.confidence))}`,
    `-H ${shellQuote(`Content-Type: ${request.contentType}`)}`,
    // curl reads the file after `@`; the quotes keep spaces and shell characters in the name literal.
    `--data-binary @${shellQuote(request.fileName)}`,
  ];
  return lines.join(' \\\n  ');
}
