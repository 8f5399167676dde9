import type pg from 'pg';
import { existsError, matchToken, newToken, revokeError, tokenInfo, type TokenInfo, type TokenVerifier } from './tokens.js';

/** The token table of tokens.ts on PostgreSQL (BYTEA digest, BIGINT times). */
const TABLE_SQL = `CREATE TABLE IF NOT EXISTS api_tokens (
  name        TEXT PRIMARY KEY,
  hash        BYTEA  NOT NULL,
  created_ms  BIGINT NOT NULL,
  revoked_ms  BIGINT
)`;

/** Operator tokens in a PostgreSQL ingest database: the SQLite TokenStore's rules, each call a query. */
export class PgTokenStore implements TokenVerifier {
  constructor(
    private readonly pool: pg.Pool,
    private readonly clock: () => number = Date.now,
  ) {}

  static async ensureTable(pool: pg.Pool): Promise<void> {
    await pool.query(TABLE_SQL);
  }

  async add(name: string): Promise<string> {
    const { token, hash } = newToken(name);
    const r = await this.pool.query('INSERT INTO api_tokens (name, hash, created_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [name, hash, this.clock()]);
    if (r.rowCount === 0) throw existsError(name);
    return token;
  }

  async revoke(name: string): Promise<void> {
    const r = await this.pool.query('UPDATE api_tokens SET revoked_ms = $1 WHERE name = $2 AND revoked_ms IS NULL', [this.clock(), name]);
    if (r.rowCount === 0) throw revokeError(name, ((await this.pool.query('SELECT 1 FROM api_tokens WHERE name = $1', [name])).rowCount ?? 0) > 0);
  }

  async list(): Promise<TokenInfo[]> {
    return ((await this.pool.query('SELECT name, created_ms, revoked_ms FROM api_tokens ORDER BY name')).rows as { name: string; created_ms: string; revoked_ms: string | null }[]).map(tokenInfo);
  }

  verify(presented: string): Promise<string | null> {
    return Promise.resolve(matchToken(presented, async () => (await this.pool.query('SELECT name, hash FROM api_tokens WHERE revoked_ms IS NULL')).rows as { name: string; hash: Buffer }[]));
  }
}
