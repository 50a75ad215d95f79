/**
 * A GBK encoder, for answers the simulator sends as Ebopark's servers sometimes do (declared
 * `charset=GBK`). Built once from the runtime's own GBK decoder (Node has full ICU), so the
 * table and the decoders that read it cannot disagree.
 */
let table: Map<number, number> | undefined;

function gbkTable(): Map<number, number> {
  if (table) return table;
  table = new Map();
  const decoder = new TextDecoder("gbk");
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const char = decoder.decode(Uint8Array.of(lead, trail));
      const code = char.codePointAt(0);
      if (char.length === 1 && code !== undefined && code !== 0xfffd && !table.has(code)) {
        table.set(code, (lead << 8) | trail);
      }
    }
  }
  return table;
}

/** Text as GBK bytes; a character GBK cannot represent becomes "?". */
export function encodeGbk(text: string): Uint8Array {
  const codes = gbkTable();
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) {
      out.push(code);
      continue;
    }
    const pair = codes.get(code);
    if (pair === undefined) out.push(0x3f);
    else out.push(pair >> 8, pair & 0xff);
  }
  return Uint8Array.from(out);
}
