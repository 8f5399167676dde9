import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-io.js';
import { isPostgresUrl, redactUrl } from '../../src/server/store/pg/url.js';

describe('--db postgres:// URLs', () => {
  it('tells URLs from files and never shows a password', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('postgresql://u@h/db')).toBe(true);
    expect(isPostgresUrl('ingest.db')).toBe(false);
    expect(isPostgresUrl('./postgres://x')).toBe(false);
    expect(redactUrl('postgres://fleet:s3cret@db.example:5433/fleet?sslmode=require')).toBe('postgres://fleet:***@db.example:5433/fleet?sslmode=require');
    expect(redactUrl('postgres://u:s3cret@[bad/x')).toBe('postgres://(unparsable URL)');
  });

  it('a server that cannot be reached is named without the password, and the command fails cleanly', async () => {
    for (const argv of [['server', 'stats'], ['export', '--vehicle', 'truck-1']]) {
      const r = await runCli([...argv, '--db', 'postgres://fleet:s3cret@127.0.0.1:1/fleet']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/postgres:\/\/fleet:\*\*\*@127\.0\.0\.1:1\/fleet: cannot connect to PostgreSQL \(.*ECONNREFUSED/);
      expect(r.stderr + r.stdout).not.toMatch(/s3cret/);
    }
  });
});
