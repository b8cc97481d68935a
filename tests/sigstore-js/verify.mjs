// Usage: node verify.mjs BLOB BUNDLE PUBKEY
//
// Verifies a key-based Sigstore bundle (message signature, no transparency log, no timestamps)
// over BLOB with the PEM public key PUBKEY, using only Sigstore's own JS libraries and no
// network: no TUF, no Rekor, an empty trusted root. This is the JS equivalent of
//   cosign verify-blob --key PUBKEY --bundle BUNDLE --insecure-ignore-tlog BLOB
// Exit 0: verified. Exit 1: the library rejected the bundle (its error is printed). Exit 2: usage
// or unreadable input.
import crypto from 'node:crypto';
import fs from 'node:fs';

import bundlePkg from '@sigstore/bundle';
import specs from '@sigstore/protobuf-specs';
import verifyPkg from '@sigstore/verify';

const {
  bundleFromJSON,
  bundleToJSON,
  isBundleWithMessageSignature,
  isBundleWithPublicKey,
  BUNDLE_V03_MEDIA_TYPE,
} = bundlePkg;
const { TrustedRoot } = specs;
const { toSignedEntity, toTrustMaterial, Verifier } = verifyPkg;

function fail(code, message) {
  process.stderr.write(`verify.mjs: ${message}\n`);
  process.exit(code);
}

function read(path) {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    fail(2, `cannot read ${path}: ${e.message}`);
  }
}

// Keys of `ours` that the protobuf JSON mapping does not produce back (unknown or misspelled
// fields), and values it re-encodes differently (e.g. hex or base64url where base64 is due).
// proto3 JSON leaves empty repeated fields out, so an empty array under the name of one of the
// bundle's repeated fields (sigstore_bundle.proto and what it imports) is not a difference.
const REPEATED_FIELDS = new Set(['tlogEntries', 'rfc3161Timestamps', 'certificates', 'signatures']);

function schemaDifferences(ours, canonical, path = '') {
  const out = [];
  for (const [key, value] of Object.entries(ours)) {
    const here = path ? `${path}.${key}` : key;
    if (Array.isArray(value) && value.length === 0 && REPEATED_FIELDS.has(key) && !(key in canonical)) {
      continue;
    }
    if (!(key in canonical)) {
      out.push(`${here}: not a field of the Sigstore bundle schema`);
    } else if (value !== null && typeof value === 'object') {
      out.push(...schemaDifferences(value, canonical[key] ?? {}, here));
    } else if (value !== canonical[key]) {
      out.push(`${here}: ${JSON.stringify(value)} reads back as ${JSON.stringify(canonical[key])}`);
    }
  }
  return out;
}

const [blobPath, bundlePath, keyPath] = process.argv.slice(2);
if (!blobPath || !bundlePath || !keyPath) fail(2, 'usage: node verify.mjs BLOB BUNDLE PUBKEY');

const blob = read(blobPath);
let json;
try {
  json = JSON.parse(read(bundlePath).toString('utf8'));
} catch (e) {
  fail(2, `${bundlePath} is not JSON: ${e.message}`);
}
let publicKey;
try {
  publicKey = crypto.createPublicKey(read(keyPath));
} catch (e) {
  fail(2, `${keyPath} is not a PEM public key: ${e.message}`);
}
const spki = publicKey.export({ type: 'spki', format: 'der' });
// cosign's hint convention: base64 of the sha256 of the PKIX (SPKI DER) public key.
const hint = crypto.createHash('sha256').update(spki).digest('base64');

try {
  // 1. Shape: protobuf-specs JSON mapping plus @sigstore/bundle's validation of the latest (v0.3) bundle.
  const bundle = bundleFromJSON(json);
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE) {
    throw new Error(`mediaType ${JSON.stringify(bundle.mediaType)} is not ${BUNDLE_V03_MEDIA_TYPE}`);
  }
  if (!isBundleWithPublicKey(bundle) || !isBundleWithMessageSignature(bundle)) {
    throw new Error('not a key-based (publicKey) message-signature bundle');
  }
  const differences = schemaDifferences(json, bundleToJSON(bundle));
  if (differences.length > 0) throw new Error(`bundle schema: ${differences.join('; ')}`);

  // 2. Signature: an empty trusted root (no CAs, tlogs, ctlogs or TSAs) and the one trusted key;
  // like cosign's --key, the key is used whatever the hint says (the hint is checked below).
  const trustMaterial = toTrustMaterial(TrustedRoot.fromJSON({}), () => ({
    publicKey,
    validFor: () => true,
  }));
  const verifier = new Verifier(trustMaterial, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 0,
  });
  const entity = toSignedEntity(bundle, blob);
  verifier.verify(entity);

  // @sigstore/verify checks the signature over the blob itself; the recorded messageDigest is
  // only compared against tlog bodies, so compare it with the blob here, as ferry verify does.
  const algorithm = entity.signature.hashAlgorithm;
  if (!entity.signature.compareDigest(crypto.createHash(algorithm).update(blob).digest())) {
    throw new Error(`messageSignature.messageDigest is not the ${algorithm} of ${blobPath}`);
  }

  // ferry writes cosign's hint; a different one means another key or another convention.
  if (bundle.verificationMaterial.content.publicKey.hint !== hint) {
    throw new Error(`publicKey.hint ${bundle.verificationMaterial.content.publicKey.hint} is not ${hint}, the hint of ${keyPath}`);
  }
} catch (e) {
  const detail = e.fields ? ` (fields: ${e.fields.join(', ')})` : '';
  const code = e.code ? `${e.code}: ` : '';
  fail(1, `${bundlePath} rejected: ${e.name}: ${code}${e.message}${detail}`);
}
process.stdout.write(`verified: ${bundlePath} over ${blobPath} with key ${keyPath} (hint ${hint})\n`);
