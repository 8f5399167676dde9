import { parseCommandArgs, withSubcommands, type CliIO, type Command } from './command.js';
import { UsageError } from '../base/errors.js';
import { openStore } from '../server/store/open.js';
import { PgStore } from '../server/store/pg/store.js';
import { TokenError, TokenStore } from '../server/http/tokens.js';
import { PgTokenStore } from '../server/http/tokens-pg.js';

function dbOption(db: string | undefined): string {
  if (!db) throw new UsageError('--db FILE|URL is required (the ingest database)');
  return db;
}

/** The token operations both tables have (SQLite answers at once, PostgreSQL later). */
interface Tokens {
  add(name: string): string | Promise<string>;
  revoke(name: string): void | Promise<void>;
  list(): ReturnType<TokenStore['list']> | Promise<ReturnType<TokenStore['list']>>;
}

/** Opens the ingest database (creating and migrating it like the server does) with its token table. */
async function withTokens<T>(db: string, f: (t: Tokens) => T | Promise<T>): Promise<T> {
  const store = await openStore(db);
  try {
    let t: Tokens;
    if (store instanceof PgStore) {
      await PgTokenStore.ensureTable(store.pool);
      t = new PgTokenStore(store.pool);
    } else {
      TokenStore.ensureTable(store.db);
      t = new TokenStore(store.db);
    }
    return await f(t);
  } catch (err) {
    if (err instanceof TokenError) throw new UsageError(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

function oneName(argv: string[]): { db: string; name: string } {
  const { values, positionals } = parseCommandArgs(argv, { db: { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('expected exactly one token NAME');
  return { db: dbOption(values.db), name: positionals[0]! };
}

const add: Command = {
  name: 'add',
  summary: 'make an operator token for the HTTP API and print it (once)',
  usage: `Usage: geostream server token add NAME --db FILE|URL

Makes a new API token called NAME and prints it on stdout. Only its SHA-256 is
stored in the database: the token cannot be shown again (revoke it and add a new
one if it is lost). Clients send it as 'Authorization: Bearer TOKEN'.`,
  async run(argv: string[], io: CliIO) {
    const { db, name } = oneName(argv);
    const token = await withTokens(db, (t) => t.add(name));
    io.stdout.write(`${token}\n`);
    return 0;
  },
};

const list: Command = {
  name: 'list',
  summary: 'list operator tokens (names and dates; never the tokens)',
  usage: `Usage: geostream server token list --db FILE|URL [--json]

Prints every token's name, when it was made and, if so, when it was revoked.`,
  async run(argv: string[], io: CliIO) {
    const { values } = parseCommandArgs(argv, { db: { type: 'string' }, json: { type: 'boolean' } }, false);
    const rows = await withTokens(dbOption(values.db), (t) => t.list());
    if (values.json) io.stdout.write(`${JSON.stringify({ tokens: rows }, null, 2)}\n`);
    else for (const r of rows) io.stdout.write(`${r.name}\tcreated ${r.created}\t${r.revoked ? `revoked ${r.revoked}` : 'active'}\n`);
    return 0;
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'revoke an operator token (a running server refuses it at once)',
  usage: `Usage: geostream server token revoke NAME --db FILE|URL

Marks the token NAME revoked. A running server reads the token table on every
request, so the next request with it gets 401.`,
  async run(argv: string[], io: CliIO) {
    const { db, name } = oneName(argv);
    await withTokens(db, (t) => t.revoke(name));
    io.stdout.write(`revoked token '${name}'\n`);
    return 0;
  },
};

export const tokenCommand: Command = withSubcommands('server token', 'manage operator tokens of the HTTP API', [add, list, revoke]);
