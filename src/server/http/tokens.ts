import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * Operator tokens for the HTTP API, in the ingest database. A token is 32 random
 * bytes (base64url, prefixed "gst_"); only its SHA-256 is stored, so a copy of the
 * database does not give API access. A high-entropy secret needs no slow hash: the
 * digest cannot be inverted and no dictionary covers 256 bits.
 */
export const TOKEN_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS api_tokens (
  name        TEXT PRIMARY KEY,
  hash        BLOB    NOT NULL,
  created_ms  INTEGER NOT NULL,
  revoked_ms  INTEGER
);
`;

export const TOKEN_PREFIX = 'gst_';
const TOKEN_RE = /^gst_[A-Za-z0-9_-]{43}$/;
/** Names an operator gives tokens: short, printable, safe in a terminal. */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export interface TokenInfo {
  name: string;
  created: string;
  revoked: string | null;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** A new token for `name` (checked) and the digest to store; both token tables use it. */
export function newToken(name: string): { token: string; hash: Buffer } {
  if (!NAME_RE.test(name)) throw new TokenError(`token name '${name}': use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit`);
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return { token, hash: digest(token) };
}

export const existsError = (name: string) => new TokenError(`a token named '${name}' exists (revoke it, or choose another name)`);
export const revokeError = (name: string, known: boolean) => new TokenError(known ? `token '${name}' is already revoked` : `no token named '${name}'`);

export function tokenInfo(r: { name: string; created_ms: number | string; revoked_ms: number | string | null }): TokenInfo {
  return { name: r.name, created: new Date(Number(r.created_ms)).toISOString(), revoked: r.revoked_ms === null ? null : new Date(Number(r.revoked_ms)).toISOString() };
}

/**
 * The name of the live token `presented` is, among `live` (every unrevoked token's
 * name and digest), or null: compared with each in constant time, never stopping at a match.
 */
export function matchToken(presented: string, live: () => { name: string; hash: Buffer }[]): string | null;
export function matchToken(presented: string, live: () => Promise<{ name: string; hash: Buffer }[]>): Promise<string | null>;
export function matchToken(presented: string, live: () => { name: string; hash: Buffer }[] | Promise<{ name: string; hash: Buffer }[]>): string | null | Promise<string | null> {
  if (!TOKEN_RE.test(presented)) return null;
  const d = digest(presented);
  const pick = (rows: { name: string; hash: Buffer }[]) => {
    let found: string | null = null;
    for (const r of rows) {
      if (r.hash.length === d.length && timingSafeEqual(r.hash, d) && found === null) found = r.name;
    }
    return found;
  };
  const rows = live();
  return rows instanceof Promise ? rows.then(pick) : pick(rows);
}

/** What the HTTP API asks of a token table (SQLite answers at once, PostgreSQL later). */
export interface TokenVerifier {
  verify(presented: string): string | null | Promise<string | null>;
}

/** The token table of one database connection. */
export class TokenStore implements TokenVerifier {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Creates the table (a writable connection; the server and `token add` do this). */
  static ensureTable(db: Database.Database): void {
    db.exec(TOKEN_TABLE_SQL);
  }

  /** Makes a new token called `name` and returns it: the only time it is ever shown. */
  add(name: string): string {
    const { token, hash } = newToken(name);
    const r = this.db.prepare('INSERT OR IGNORE INTO api_tokens (name, hash, created_ms) VALUES (?, ?, ?)').run(name, hash, this.clock());
    if (r.changes === 0) throw existsError(name);
    return token;
  }

  /** Marks the token `name` revoked; it is kept so the name is not reused by accident. */
  revoke(name: string): void {
    const r = this.db.prepare('UPDATE api_tokens SET revoked_ms = ? WHERE name = ? AND revoked_ms IS NULL').run(this.clock(), name);
    if (r.changes === 0) throw revokeError(name, this.db.prepare('SELECT 1 FROM api_tokens WHERE name = ?').get(name) !== undefined);
  }

  list(): TokenInfo[] {
    return (this.db.prepare('SELECT name, created_ms, revoked_ms FROM api_tokens ORDER BY name').all() as { name: string; created_ms: number; revoked_ms: number | null }[]).map(tokenInfo);
  }

  /**
   * The name of the live token `presented` is, or null. Reads the table on every
   * call (a revocation by another process takes effect at once).
   */
  verify(presented: string): string | null {
    return matchToken(presented, () => this.db.prepare('SELECT name, hash FROM api_tokens WHERE revoked_ms IS NULL').all() as { name: string; hash: Buffer }[]);
  }
}
