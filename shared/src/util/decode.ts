/**
 * Bytes of an HTTP body to text, as Ebopark's servers need: a gzip body is inflated (whether or
 * not a transport already did it), then the text is decoded by the charset the Content-Type
 * declares (GBK has been seen), UTF-8 when it declares none. Web standards only
 * (DecompressionStream, TextDecoder): workerd and Node (full ICU) both decode GBK/GB18030 natively
 * (test/workers/decode.test.ts and test/shared/decode.test.ts check it in each runtime).
 */

/** Why a body could not be turned into text. */
export class BodyDecodingError extends Error {
  override name = "BodyDecodingError";
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Whether the bytes are a gzip stream (RFC 1952 magic). No JSON or text body starts with 0x1f. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Inflates a gzip stream. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    // Typed loosely: DOM's and workers-types' stream generics disagree, the runtimes do not.
    const source = new Response(bytes as BufferSource).body as ReadableStream;
    const stream = source.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair);
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new BodyDecodingError(`the gzip body is corrupt: ${(error as Error).message}`, { cause: error });
  }
}

/** The `charset` parameter of a Content-Type, lowercased, or undefined. */
export function charsetOf(contentType: string | null | undefined): string | undefined {
  if (!contentType) return undefined;
  const match = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType);
  return match?.[2]?.toLowerCase();
}

function decoder(label: string, fatal: boolean): TextDecoder {
  try {
    return new TextDecoder(label, { fatal, ignoreBOM: false });
  } catch {
    throw new BodyDecodingError(`the body declares charset ${JSON.stringify(label)}, which this runtime cannot decode`);
  }
}

/**
 * Decodes body bytes to text. With a declared charset, decodes by it (invalid bytes become U+FFFD,
 * as a browser does). Without one, UTF-8; if the bytes are not valid UTF-8, GB18030 (a superset of
 * GBK), since a Chinese server that declares nothing most likely means that.
 */
export async function decodeBody(bytes: Uint8Array, contentType?: string | null): Promise<string> {
  const plain = isGzip(bytes) ? await gunzip(bytes) : bytes;
  const charset = charsetOf(contentType);
  if (charset) return decoder(charset, false).decode(plain);
  try {
    return decoder("utf-8", true).decode(plain);
  } catch (error) {
    if (error instanceof BodyDecodingError) throw error;
    return decoder("gb18030", false).decode(plain);
  }
}

/** A fetch Response's body as text, by `decodeBody`. */
export async function responseText(response: Response): Promise<string> {
  return decodeBody(new Uint8Array(await response.arrayBuffer()), response.headers.get("content-type"));
}
