/**
 * Reads that compose: a module that owns a table hands out a Query (its statement and how to
 * read the rows), and a composer such as the status page runs several in one D1 batch, one
 * round trip, without knowing their SQL or row types.
 */

export interface Query<T> {
  readonly statement: D1PreparedStatement;
  read(result: D1Result): T;
}

export const query = <Row, T>(statement: D1PreparedStatement, read: (rows: Row[]) => T): Query<T> => ({
  statement,
  read: (result) => read(result.results as Row[]),
});

type Results<Q extends readonly Query<unknown>[]> = {
  -readonly [K in keyof Q]: Q[K] extends Query<infer T> ? T : never;
};

/** Runs the queries in one D1 batch (one round trip, one snapshot) and reads each one's rows. */
export async function runQueries<const Q extends readonly Query<unknown>[]>(
  db: D1Database,
  queries: Q,
): Promise<Results<Q>> {
  const results = await db.batch(queries.map((q) => q.statement));
  return queries.map((q, i) => q.read(results[i] as D1Result)) as Results<Q>;
}
