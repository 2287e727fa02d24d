/**
 * The few DER operations the PKI needs beyond node-forge: wrapping bytes in a tag, and splitting
 * an encoded SEQUENCE into the raw bytes of its children. Splicing raw bytes (the issuer's subject
 * name, an EC SubjectPublicKeyInfo) keeps them byte-exact, which a decode/re-encode cannot promise.
 */

/** DER tag numbers used here. */
export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  /** [3] EXPLICIT, constructed: the extensions of a TBSCertificate. */
  EXTENSIONS: 0xa3,
} as const;

/** One decoded TLV: where its header and contents are inside the buffer it was read from. */
export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the last content byte. */
  readonly end: number;
}

/** Encodes a DER length. */
function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** `tag || length || content`. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0] : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

/** A SEQUENCE of already-encoded children. */
export function sequence(...children: Buffer[]): Buffer {
  return tlv(TAG.SEQUENCE, ...children);
}

/** A BIT STRING without unused bits. */
export function bitString(bytes: Buffer): Buffer {
  return tlv(TAG.BIT_STRING, Buffer.from([0]), bytes);
}

/** Reads the TLV at `offset`; throws on truncated or indefinite-length input. */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new Error(`DER truncated at offset ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error(`DER multi-byte tags are not supported (offset ${offset})`);
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error(`DER length of ${count} bytes is not supported (offset ${offset})`);
    if (contentStart + count > buf.length) throw new Error(`DER truncated at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i];
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) throw new Error(`DER truncated: element at offset ${offset} needs ${end - buf.length} more bytes`);
  return { tag, start: offset, contentStart, end };
}

/** The children of the constructed element `parent` (read from `buf`). */
export function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The raw bytes (header included) of `t`. */
export function raw(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.start, t.end);
}

/** The content bytes of `t`. */
export function content(buf: Buffer, t: Tlv): Buffer {
  return buf.subarray(t.contentStart, t.end);
}

/** Encodes a dotted OID. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * parts[0] + parts[1]];
  for (const part of parts.slice(2)) {
    const groups: number[] = [];
    let n = part;
    do {
      groups.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i] |= 0x80;
    bytes.push(...groups);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
}
