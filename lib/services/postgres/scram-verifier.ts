import * as crypto from 'crypto';

/** PostgreSQL's default SCRAM iteration count (`scram_iterations`, 4096). */
export const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5803 / RFC 7677 form,
 * `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`). The server is given this instead of the
 * password, so it never holds a credential it could replay. The salt is derived from the
 * password and the role (unique because the password is random), so the bootstrap writes the
 * same verifier every run and stays idempotent.
 */
export function scramSha256Verifier(password: string, role: string, iterations = SCRAM_ITERATIONS): string {
  const salt = crypto.createHmac('sha256', password).update(`mlsec-scram-salt:${role}`).digest().subarray(0, 16);
  const salted = crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = crypto.createHash('sha256').update(clientKey).digest();
  const serverKey = crypto.createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
