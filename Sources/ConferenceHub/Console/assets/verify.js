// verify.js: the browser's own check of the decision record, trusting no word of the hub — a
// checkpoint's Ed25519 signature (WebCrypto) over its note, an entry's inclusion proof and a
// checkpoint's consistency with an earlier one, hashed as RFC 6962 hashes (leaf = SHA-256(0x00 ‖
// entry), node = SHA-256(0x01 ‖ left ‖ right)) and verified as RFC 9162 §2.1.3.2 and §2.1.4.2 say.
// Each check answers null when it holds, or the name of what failed.

const encoder = new TextEncoder();

export function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function toBase64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function sha256(...parts) {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** The leaf hash of an entry's text, exactly as the hub returned it. */
export function leafHash(entry) {
  return sha256(LEAF, encoder.encode(entry));
}

function node(left, right) {
  return sha256(NODE, left, right);
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** A short fingerprint of a public key, to compare with the one the conference office publishes. */
export async function fingerprint(publicKey) {
  const digest = await sha256(publicKey);
  return Array.from(digest.slice(0, 16), (byte) => byte.toString(16).padStart(2, "0")).join("").replace(/(.{4})(?!$)/g, "$1 ");
}

/** The checkpoint's note says its origin, size and root, and `publicKey` signed it. */
export async function checkCheckpoint(checkpoint, publicKey) {
  if (checkpoint.note !== `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.root}\n`) return "note";
  let key;
  try {
    key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    return "key";
  }
  const signed = await crypto.subtle.verify({ name: "Ed25519" }, key, fromBase64(checkpoint.signature), encoder.encode(checkpoint.note));
  return signed ? null : "signature";
}

/** RFC 9162 §2.1.3.2: the entry at `index` of a tree of `size` leaves, with `path`, hashes to `root`. */
export async function checkInclusion(index, size, leaf, path, root) {
  if (index >= size) return "proof";
  let fn = index, sn = size - 1, hash = leaf;
  for (const sibling of path) {
    if (sn === 0) return "proof";
    if (fn % 2 === 1 || fn === sn) {
      hash = await node(sibling, hash);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      hash = await node(hash, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(hash, root) ? null : "proof";
}

/** RFC 9162 §2.1.4.2: the tree of `first` leaves with `firstRoot` is a prefix of the tree of
 * `second` leaves with `secondRoot`. */
export async function checkConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first > second) return "consistency";
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot) ? null : "consistency";
  if (first === 0) return null;
  let path = proof;
  if ((first & (first - 1)) === 0) path = [firstRoot, ...proof];
  if (path.length === 0) return "consistency";
  let fn = first - 1, sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return "consistency";
    if (fn % 2 === 1 || fn === sn) {
      fr = await node(c, fr);
      sr = await node(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, firstRoot) && equal(sr, secondRoot) && sn === 0 ? null : "consistency";
}
