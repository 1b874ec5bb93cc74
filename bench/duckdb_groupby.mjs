// The peer of `partnercloud usage import` in bench/usage_import.sh: DuckDB reads the same
// Partner Center CSV and computes the same GROUP BY (customer, Azure subscription, meter
// category) with exact DECIMAL sums of Quantity and of UnitPrice × Quantity.
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
const sql = `
  SELECT CustomerId, EntitlementId, MeterCategory,
         SUM(CAST(Quantity AS DECIMAL(18, 8))) AS quantity,
         SUM(CAST(UnitPrice AS DECIMAL(18, 8)) * CAST(Quantity AS DECIMAL(18, 8))) AS charge,
         COUNT(*) AS lines
  FROM read_csv('${file.replaceAll("'", "''")}', header = true, all_varchar = true)
  GROUP BY ALL`;
const reader = await conn.runAndReadAll(sql);
const rows = reader.getRows();
let lines = 0n;
for (const r of rows) lines += BigInt(r[5]);
console.log(`duckdb: ${rows.length} groups, ${lines} lines`);
