// A Content-Type header parsed by its grammar (RFC 9110 §8.3.1): `type/subtype *( OWS ";" OWS name=value )`,
// the value a token or a quoted-string with backslash escapes, parameter names case-insensitive.
// (hono's form validator only takes `multipart/form-data; boundary=<token>`, nothing else.)

// tchar (RFC 9110 §5.6.2)
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// qdtext and quoted-pair (RFC 9110 §5.6.4)
const QUOTED = '"((?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*)"';
const TYPE = new RegExp(`^[\\t ]*(${TOKEN})/(${TOKEN})`);
const PARAMETER = new RegExp(`[\\t ]*;[\\t ]*(?:(${TOKEN})=(?:(${TOKEN})|${QUOTED}))?`, 'y');
const TRAILING_SPACE = /^[\t ]*$/;

export interface MediaType {
  /** `type/subtype`, lower case. */
  type: string;
  /** Parameter values by lower-case name, quoted-strings unescaped. */
  parameters: Map<string, string>;
}

export class MediaTypeError extends Error {
  override name = 'MediaTypeError';
}

/** Parses a Content-Type value; throws MediaTypeError saying where it stops following the grammar. */
export function parseMediaType(header: string): MediaType {
  const head = TYPE.exec(header);
  if (!head?.[1] || !head[2]) throw new MediaTypeError('is not a media type such as multipart/form-data');
  const parameters = new Map<string, string>();
  let at = head[0].length;
  while (!TRAILING_SPACE.test(header.slice(at))) {
    PARAMETER.lastIndex = at;
    const match = PARAMETER.exec(header);
    if (!match) {
      const rest = header.slice(at);
      throw new MediaTypeError(
        /="(?:[^"\\]|\\.)*$/.test(rest)
          ? `has a quoted parameter value without its closing quote: ${rest.trim()}`
          : `has a malformed parameter at ${JSON.stringify(rest.trim())}: expected ; name=value, the value a token or a "quoted string"`,
      );
    }
    at = PARAMETER.lastIndex;
    const name = match[1]?.toLowerCase();
    if (name === undefined) continue; // an empty parameter (`;;`) is allowed
    if (parameters.has(name)) throw new MediaTypeError(`has the parameter "${name}" twice`);
    parameters.set(name, match[2] ?? (match[3] ?? '').replace(/\\([\s\S])/g, '$1'));
  }
  return { type: `${head[1]}/${head[2]}`.toLowerCase(), parameters };
}
