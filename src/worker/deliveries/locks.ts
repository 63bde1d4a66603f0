// Two small tables: a lock has one holder until it runs out (a batched vendor's flush); a mark records when
// something last happened (the last flush, a vendor's last delivery).

/** True when this holder got the lock (no other holder's lock is still running). */
export async function acquireLock(
  db: D1Database,
  name: string,
  holder: string,
  now: number,
  ms: number,
): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO locks (name, holder, until) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE locks.until < ?4
       RETURNING holder`,
    )
    .bind(name, holder, now + ms, now)
    .first<{ holder: string }>();
  return row?.holder === holder;
}

export async function releaseLock(db: D1Database, name: string, holder: string): Promise<void> {
  await db.prepare(`DELETE FROM locks WHERE name = ?1 AND holder = ?2`).bind(name, holder).run();
}

export async function setMark(db: D1Database, name: string, at: number): Promise<void> {
  await db
    .prepare(`INSERT INTO marks (name, at) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET at = excluded.at`)
    .bind(name, at)
    .run();
}

export async function markAt(db: D1Database, name: string): Promise<number> {
  const row = await db.prepare(`SELECT at FROM marks WHERE name = ?1`).bind(name).first<{ at: number }>();
  return row?.at ?? 0;
}
