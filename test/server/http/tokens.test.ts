import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { TokenStore } from '../../../src/server/http/tokens.js';
import { runCli } from '../../support/cli-io.js';
import { tmpDbs } from '../../support/tmp-db.js';

const tmpDb = tmpDbs('gs-tokens-');

describe('operator tokens (real SQLite file)', () => {
  it('a made token verifies to its name; a wrong, altered or malformed one does not', () => {
    const db = new Database(tmpDb());
    TokenStore.ensureTable(db);
    const t = new TokenStore(db);
    const a = t.add('ops');
    const b = t.add('grafana');
    expect(a).toMatch(/^gst_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(t.verify(a)).toBe('ops');
    expect(t.verify(b)).toBe('grafana');
    const flipped = a.slice(0, -1) + (a.endsWith('A') ? 'B' : 'A');
    expect(t.verify(flipped)).toBeNull();
    expect(t.verify('')).toBeNull();
    expect(t.verify(`${a}x`)).toBeNull();
    expect(t.verify("gst_' OR 1=1 --")).toBeNull();
    db.close();
  });

  it('stores only a digest: the token text is nowhere in the database', () => {
    const file = tmpDb();
    const db = new Database(file);
    TokenStore.ensureTable(db);
    const token = new TokenStore(db).add('ops');
    const rows = db.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));
    expect((rows[0]!.hash as Buffer).length).toBe(32);
    db.close();
  });

  it('a revoked token is refused at once, its name stays taken, revoking twice or an unknown name is an error', () => {
    const db = new Database(tmpDb());
    TokenStore.ensureTable(db);
    const t = new TokenStore(db, () => 1_700_000_000_000);
    const a = t.add('ops');
    t.revoke('ops');
    expect(t.verify(a)).toBeNull();
    expect(() => t.add('ops')).toThrow(/exists/);
    expect(() => t.revoke('ops')).toThrow(/already revoked/);
    expect(() => t.revoke('nobody')).toThrow(/no token named 'nobody'/);
    expect(t.list()).toEqual([{ name: 'ops', created: '2023-11-14T22:13:20.000Z', revoked: '2023-11-14T22:13:20.000Z' }]);
    db.close();
  });

  it('refuses names that are empty, too long or carry terminal control characters', () => {
    const db = new Database(tmpDb());
    TokenStore.ensureTable(db);
    const t = new TokenStore(db);
    for (const bad of ['', 'a'.repeat(65), 'ops\u001b[2J', '-x', 'a b']) expect(() => t.add(bad)).toThrow(/token name/);
    db.close();
  });
});

describe('geostream server token', () => {
  it('add prints a token once, list shows names only, revoke marks it; the database is made mode 0600', async () => {
    const file = tmpDb();
    const add = await runCli(['server', 'token', 'add', 'ops', '--db', file]);
    expect(add.code).toBe(0);
    const token = add.stdout.trim();
    expect(token).toMatch(/^gst_/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const list = await runCli(['server', 'token', 'list', '--db', file, '--json']);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(token);
    expect(JSON.parse(list.stdout).tokens).toMatchObject([{ name: 'ops', revoked: null }]);
    const again = await runCli(['server', 'token', 'add', 'ops', '--db', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a token named 'ops' exists/);
    expect((await runCli(['server', 'token', 'revoke', 'ops', '--db', file])).code).toBe(0);
    const listed = await runCli(['server', 'token', 'list', '--db', file]);
    expect(listed.stdout).toMatch(/^ops\tcreated \S+\trevoked \S+\n$/);
    const db = new Database(file, { readonly: true });
    expect(new TokenStore(db).verify(token)).toBeNull();
    db.close();
  });

  it('usage errors name what is missing', async () => {
    const noDb = await runCli(['server', 'token', 'add', 'ops']);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/--db FILE\|URL is required/);
    const noName = await runCli(['server', 'token', 'add', '--db', tmpDb()]);
    expect(noName.stderr).toMatch(/exactly one token NAME/);
    const unknown = await runCli(['server', 'token', 'rotate', '--db', tmpDb()]);
    expect(unknown.stderr).toMatch(/unknown subcommand 'server token rotate'/);
  });
});
