/**
 * Reads a request body with a byte cap: a declared Content-Length over the cap is refused
 * before a byte is read, one within it is read at once (HTTP framing delivers no more than it
 * declares), and a body without one (chunked) is counted while it streams and dropped the moment
 * it passes the cap. So an isolate (128 MB) never holds more than the cap of a body it refuses.
 * The bytes are handed over as received: a source whose sign covers them checks it before reading
 * them as text; `utf8Text` reads them for the others (invalid UTF-8 is refused, never replaced).
 */

// Decoding a whole body at once keeps no state: one decoder serves every request of the isolate.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export type BodyResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; status: 413; reason: "body_too_large"; message: string };

export type TextResult =
  | { ok: true; text: string }
  | { ok: false; status: 400; reason: "malformed_body"; message: string };

const tooLarge = (maxBytes: number): BodyResult => ({
  ok: false,
  status: 413,
  reason: "body_too_large",
  message: `body is larger than ${maxBytes} bytes`,
});

export async function readBodyCapped(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    if (Number(declared) > maxBytes) {
      await request.body?.cancel().catch(() => undefined);
      return tooLarge(maxBytes);
    }
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > maxBytes ? tooLarge(maxBytes) : { ok: true, bytes };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(total);
  if (chunks.length !== 1) {
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  return { ok: true, bytes };
}

/** The body as UTF-8 text; invalid UTF-8 is refused. */
export function utf8Text(bytes: Uint8Array): TextResult {
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, status: 400, reason: "malformed_body", message: "body is not valid UTF-8" };
  }
}
