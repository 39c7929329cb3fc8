import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-group snapshots: a snapshot keeps the session's core (version, status, timeouts, sizes,
 * request memory, recent actions) in `snapshots` and each state group's values in its own row of
 * `snapshot_groups`, written in the same statement at the same version. A read of some groups then
 * loads only their rows; a row whose version is not the snapshot's (a group emptied since) is ignored.
 */
export class GroupSnapshots1764900200000 implements MigrationInterface {
  name = 'GroupSnapshots1764900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE snapshot_groups (
        session_id      text    NOT NULL,
        grp             text    NOT NULL,
        stream_version  integer NOT NULL,
        value           bytea   NOT NULL,
        PRIMARY KEY (session_id, grp)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS snapshot_groups`);
  }
}
